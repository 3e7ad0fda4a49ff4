// Evidence commands: `memq yara` scans process, module and kernel memory with YARA rules; `memq dump`
// exports a process's memory, its executable and libraries, and page-cache files with a sha256
// manifest. Specs only; the work is in evidence-run.ts (loaded lazily).
import type { Command } from 'commander';
import { Option } from 'commander';
import { outputFormats } from './output';
import { load } from './lazy';
import type { DumpOpts, YaraOpts } from './evidence-run';

type EvidenceRun = typeof import('./evidence-run');

export function register(program: Command): void {
  program
    .command('yara')
    .description('scan process memory (per VMA), kernel module memory and the kernel image with YARA rules (YARA-X)')
    .argument('<dump>', 'memory dump')
    .requiredOption('-r, --rules <file...>', 'YARA rule files (each its own namespace: the file name)')
    .option('-p, --pid <pid>', 'only this process (module and kernel memory are then not scanned)')
    .option('--no-processes', 'do not scan process memory')
    .option('--no-modules', 'do not scan kernel module memory')
    .option('--no-kernel', 'do not scan the kernel image')
    .option('--physical', 'also scan all of physical RAM (addresses are physical; finds what no mapping shows: freed and unmapped pages)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table'))
    .option('--all-columns', 'print every column of the yara_match table')
    .option('--system-map <file>', 'System.map to use or cross-check')
    .action((dump: string, o: YaraOpts) => load<EvidenceRun>('evidence-run').yara(dump, o));

  program
    .command('dump')
    .description('export evidence with a sha256 manifest: a process\'s memory regions (+ map), its executable and libraries rebuilt from mapped pages, page-cache files')
    .argument('<dump>', 'memory dump')
    .requiredOption('-o, --out <dir>', 'output directory (created; must be empty or new)')
    .option('-p, --pid <pid...>', 'processes to export (memory regions, executable, libraries)')
    .option('--file <path...>', 'page-cache files to export by path (open or recently used inodes)')
    .option('--no-regions', 'do not write the memory regions')
    .option('--no-images', 'do not rebuild the executable and libraries')
    .option('--open-files', 'also the regular files each process has open, from the page cache')
    .option('--system-map <file>', 'System.map to use or cross-check')
    .action((dump: string, o: DumpOpts) => load<EvidenceRun>('evidence-run').dump(dump, o));
}
