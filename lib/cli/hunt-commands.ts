// Hunting commands: `memq hunt` runs the ATT&CK-tagged playbooks over the local store, `memq ioc`
// looks for indicator values across every table and snapshot, `memq diff` compares two snapshots.
// Exit codes, like grep/diff: 0 = nothing found, 1 = something fired / found / differs,
// 2 = could not run (bad playbook, missing store, query error). Specs only; the work is in hunt-run.ts.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Severity } from '../hunt/playbook';
import { load } from './lazy';
import type { HuntOpts, IocOpts, ReportOpts } from './hunt-run';

type HuntRun = typeof import('./hunt-run');

/** lib/hunt/playbook.ts `severities` (not imported: it would load zod at start-up); the type checks it */
const severityChoices = ['info', 'low', 'medium', 'high', 'critical'] as const satisfies readonly Severity[];
type MissingSeverity = Exclude<Severity, (typeof severityChoices)[number]>;
const allSeverities: MissingSeverity extends never ? true : never = true;
void allSeverities;

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

function withStoreAndScope(c: Command): Command {
  return c
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--project <p>', 'only these projects (repeat or comma-separate)', list)
    .option('--machine <m>', 'only these machines (repeat or comma-separate)', list)
    .option('--snapshot <s>', 'only these snapshots (repeat or comma-separate)', list);
}

export function register(program: Command): void {
  withStoreAndScope(
    program
      .command('hunt')
      .description('run the ATT&CK playbooks over the store; exit 0 = nothing fired, 1 = something fired, 2 = error')
      .option('--playbooks <dir>', 'playbook directory or file (default: the bundled playbooks/ folder)')
      .option('--only <ids>', 'only these playbook ids (repeat or comma-separate)', list)
      .addOption(new Option('--min-severity <level>', 'only playbooks at or above this severity').choices([...severityChoices]))
      .addOption(new Option('-f, --format <format>', 'output format: table (terminal), markdown (incident report), json, csv (one finding per line)').choices(['table', 'markdown', 'json', 'csv']).default('table'))
      .option('--max-rows <n>', 'rows kept per query', '1000'),
  ).action((o: HuntOpts) => load<HuntRun>('hunt-run').hunt(o));

  withStoreAndScope(
    program
      .command('report')
      .description('run the playbooks and write the findings as one self-contained HTML report, or a PDF (printed by headless Chromium)')
      .requiredOption('-o, --output <file>', 'where to write the report (.html or .pdf)')
      .addOption(new Option('-f, --format <format>', 'html or pdf (default: from the --output extension)').choices(['html', 'pdf']))
      .option('--playbooks <dir>', 'playbook directory or file (default: the bundled playbooks/ folder)')
      .option('--only <ids>', 'only these playbook ids (repeat or comma-separate)', list)
      .addOption(new Option('--min-severity <level>', 'only playbooks at or above this severity').choices([...severityChoices]))
      .option('--max-rows <n>', 'rows kept per query', '1000'),
  ).action((o: ReportOpts) => load<HuntRun>('hunt-run').report(o));

  withStoreAndScope(
    program
      .command('ioc')
      .description('find IPs, domains, URLs, hashes, paths or process names in every table of every snapshot; exit 1 = found')
      .argument('[value...]', 'indicator values; force a kind with a prefix: ip:, domain:, url:, md5:, sha1:, sha256:, path:, name:, text:')
      .option('--file <path>', 'read more values from a file, one per line (blank lines and # comments ignored)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
      .option('--max-rows <n>', 'rows read per table at most', '10000'),
  ).action((args: string[], o: IocOpts) => load<HuntRun>('hunt-run').ioc(args, o));

  program
    .command('diff')
    .description('processes, modules, sockets and listeners that appeared or vanished between two snapshots; exit 1 = differences')
    .argument('<snapshotA>', 'snapshot, machine/snapshot or project/machine/snapshot')
    .argument('<snapshotB>', 'snapshot, machine/snapshot or project/machine/snapshot')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(
      new Option('--match <how>', 'pair processes by identity (pid + name + start time), exe (name + executable) or cmdline (name + command line); exe/cmdline list what persisted across a reboot')
        .choices(['identity', 'exe', 'cmdline'])
        .default('identity'),
    )
    .action((a: string, b: string, o: { store?: string; format: 'table' | 'json'; match?: 'identity' | 'exe' | 'cmdline' }) => load<HuntRun>('hunt-run').diff(a, b, o));
}
