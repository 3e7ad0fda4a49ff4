// Store commands: `memq add` analyzes a dump into the local store under project/machine/snapshot,
// `memq snapshots` lists what the store holds.
import type { Command } from 'commander';
import { Option } from 'commander';
import * as path from 'node:path';
import { addDumpToStore } from '../store/add';
import { defaultSnapshotName, defaultStoreDir, listSnapshots, openLocalStore } from '../store/store';
import { render, outputFormats, type OutputFormat } from './output';
import { progressReporter } from './progress';

export function register(program: Command): void {
  program
    .command('add')
    .description('analyze a dump into the local store as project/machine/snapshot')
    .argument('<dump>', 'memory dump (raw, LiME, ELF core, kdump, Windows crash dump; .gz/.xz ok)')
    .requiredOption('--project <project>', 'project name')
    .requiredOption('--machine <machine>', 'machine name')
    .option('--snapshot <snapshot>', 'snapshot name (default: UTC time, e.g. 20261125T174500Z)')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--replace', 'replace a snapshot of the same name')
    .option('--system-map <file>', 'System.map to use or cross-check')
    .option('--isf <file...>', 'Volatility ISF symbol files (.json / .json.xz)')
    .action(
      async (
        dump: string,
        o: { project: string; machine: string; snapshot?: string; store?: string; replace?: boolean; systemMap?: string; isf?: string[] },
      ) => {
        const dir = path.resolve(o.store ?? defaultStoreDir());
        const ref = { project: o.project, machine: o.machine, snapshot: o.snapshot ?? defaultSnapshotName() };
        const bar = progressReporter();
        try {
          const m = await addDumpToStore(dir, dump, ref, {
            replace: o.replace,
            systemMap: o.systemMap,
            isf: o.isf,
            onProgress: (d, t) => bar.update('decompress', d, t),
            progress: (s, d, t) => bar.update(s, d, t),
          });
          bar.stop();
          const counts = Object.entries(m.counts)
            .filter(([, n]) => n > 0)
            .map(([t, n]) => `${t}=${n}`)
            .join(' ');
          process.stdout.write(`${ref.project}/${ref.machine}/${ref.snapshot}: ${m.os} ${m.kernel ?? ''} — ${counts}\n`);
          for (const w of m.warnings) process.stderr.write(`warning: ${w}\n`);
        } finally {
          bar.stop();
        }
      },
    );

  program
    .command('snapshots')
    .description('list the snapshots in the local store')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--project <project>', 'only this project')
    .option('--machine <machine>', 'only this machine')
    .addOption(new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table'))
    .action((o: { store?: string; project?: string; machine?: string; format: OutputFormat }) => {
      const store = openLocalStore(o.store ?? defaultStoreDir());
      const rows = listSnapshots(store.dir)
        .filter((s) => (!o.project || s.project === o.project) && (!o.machine || s.machine === o.machine))
        .map((s) => ({ ...s, processes: s.counts?.process ?? null }));
      process.stdout.write(render(rows as unknown as Record<string, unknown>[], ['project', 'machine', 'snapshot', 'os', 'kernel', 'processes', 'created_at', 'dump'], o.format));
    });
}
