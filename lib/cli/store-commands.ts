// Store commands: `memq add` analyzes a dump into the local store under project/machine/snapshot,
// `memq snapshots` lists what the store holds. Specs only; the work is in store-run.ts (lazy).
import type { Command } from 'commander';
import { Option } from 'commander';
import { outputFormats, type OutputFormat } from './output';
import { load } from './lazy';
import type { AddOpts } from './store-run';

type StoreRun = typeof import('./store-run');

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
    .option('--hash', 'compute the dump\'s SHA-256 even for a sparse file (by default a file ≥ 1 GiB with under half its bytes allocated is not hashed: it would read every hole)')
    .option('--no-hash', 'never compute the dump\'s SHA-256; the manifest records size, mtime and a sampled-block hash instead')
    .option('--yara-rules <file...>', 'YARA rule files: scan process, module and kernel memory into the yara_match table')
    .action((dump: string, o: AddOpts) => load<StoreRun>('store-run').add(dump, o));

  program
    .command('snapshots')
    .description('list the snapshots in the local store')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--project <project>', 'only this project')
    .option('--machine <machine>', 'only this machine')
    .addOption(new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table'))
    .action((o: { store?: string; project?: string; machine?: string; format: OutputFormat }) => load<StoreRun>('store-run').snapshots(o));
}
