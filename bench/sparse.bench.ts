// Cost that does not grow with empty memory: the dev raw dump (128 MiB) padded to a sparse 16 GiB raw
// file (truncate, then the real bytes copied in place: physical addresses unchanged, the rest holes),
// built on the fly in $MEMQ_BENCH_DIR or the temp folder and deleted afterwards. `ps` and `analyze`
// (CLI, cold discovery cache each run) on both, with wall time, peak RSS and the sparse/plain ratio.
// `analyze` writes the dump's SHA-256 into the manifest, which must read every byte of the file,
// holes included: it runs on a worker thread beside the extraction and is timed on its own below. By
// default a sparse file is not hashed (lib/store/dump-hash.ts); `analyze --hash` shows what hashing costs. `npm run bench -- sparse`. Prints; asserts nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { materialize } from '../lib/image/open';
import { sha256File } from '../lib/store/dump-hash';
import { freshCache, IMAGES, memq, repeat, s, table } from './support/memq-cli';

const SIZE = 16 * 2 ** 30;

async function main(): Promise<void> {
  const raw = await materialize(path.join(IMAGES, 'linux-dev/memory.raw.gz'));
  const dir = fs.mkdtempSync(path.join(process.env.MEMQ_BENCH_DIR ?? os.tmpdir(), 'memq-sparse-'));
  const sparse = path.join(dir, 'memory-16g.raw');
  try {
    const fd = fs.openSync(sparse, 'w');
    fs.ftruncateSync(fd, SIZE);
    const src = fs.openSync(raw, 'r');
    const buf = Buffer.alloc(8 << 20);
    for (let pos = 0, n; (n = fs.readSync(src, buf, 0, buf.length, pos)) > 0; pos += n) fs.writeSync(fd, buf, 0, n, pos);
    fs.closeSync(src);
    fs.closeSync(fd);
    const st = fs.statSync(sparse);
    process.stdout.write(`${sparse}: ${(st.size / 2 ** 30).toFixed(0)} GiB, ${((st.blocks * 512) / 2 ** 20).toFixed(0)} MiB allocated\n`);
    const rows = [['command', 'plain 128 MiB wall s', 'sparse 16 GiB wall s', 'ratio', 'plain RSS MiB', 'sparse RSS MiB']];
    const commands = { ps: ['ps', '--format', 'jsonl'], analyze: ['analyze'], 'analyze --hash': ['analyze', '--hash'] };
    for (const [cmd, args] of Object.entries(commands)) {
      const run = (file: string) =>
        repeat(3, () => {
          const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-sparse-out-'));
          const r = memq(cmd === 'ps' ? [args[0]!, file, ...args.slice(1)] : [...args, file, '--out', out], { MEMQ_CACHE: freshCache() });
          fs.rmSync(out, { recursive: true, force: true });
          return r;
        }).med;
      const a = run(raw);
      const b = run(sparse);
      rows.push([cmd, s(a.wallS), s(b.wallS), (b.wallS / a.wallS).toFixed(2), a.rssMiB.toFixed(0), b.rssMiB.toFixed(0)]);
    }
    for (const [name, file] of [['plain', raw], ['sparse', sparse]] as const) {
      const t0 = process.hrtime.bigint();
      await sha256File(file);
      rows.push([`  of analyze: SHA-256 of the ${name} file (manifest)`, '', '', '', '', '']);
      rows[rows.length - 1]![name === 'plain' ? 1 : 2] = s(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    process.stdout.write(table(rows));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
