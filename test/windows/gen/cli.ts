// Command-line front end of the generator, for benchmarks and manual poking:
//   npx tsx test/windows/gen/cli.ts --build 19041 --kind full --size 1024 --seed 1 [--out x.dmp] [--encode-kdbg]
// Prints the output path and a one-line summary; the truth is written next to the dump (.truth.json).
import { BUILD_IDS, BuildId, DumpKind, generateWindowsDump } from './index';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const build = arg('build', '19041') as BuildId;
  const kind = arg('kind', 'full') as DumpKind;
  const sizeMiB = Number(arg('size', '256'));
  const seed = Number(arg('seed', '1'));
  if (!BUILD_IDS.includes(build)) throw new Error(`--build must be one of ${BUILD_IDS.join(', ')}`);
  const t = Date.now();
  const g = await generateWindowsDump({ build, kind, sizeMiB, seed, out: arg('out'), encodeKdbg: process.argv.includes('--encode-kdbg') });
  const tr = g.truth;
  console.log(g.path);
  console.log(
    `${tr.build.version} ${kind} ${tr.file.size} bytes, ${tr.processes.length} processes, ${tr.drivers.length} drivers, ` +
      `KernBase ${tr.kernel.kernBase}, DTB ${tr.kernel.dtb}, ${Date.now() - t} ms`,
  );
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
