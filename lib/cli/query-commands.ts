// Query commands: `memq query "<q>"` runs one query over the local store on DuckDB (or prints its
// SQL for either dialect with --explain), `memq repl` opens the interactive prompt on a store or,
// given a dump, on a throw-away store analyzed on the fly. Specs only; the work is in query-run.ts.
import type { Command } from 'commander';
import { Option } from 'commander';
import { outputFormats } from './output';
import { load } from './lazy';
import type { QueryOpts, ReplOpts } from './query-run';

type QueryRun = typeof import('./query-run');

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

function withScopeOptions(c: Command): Command {
  return c
    .option('--project <p>', 'only these projects (repeat or comma-separate)', list)
    .option('--machine <m>', 'only these machines (repeat or comma-separate)', list)
    .option('--snapshot <s>', 'only these snapshots (repeat or comma-separate)', list);
}

export function register(program: Command): void {
  withScopeOptions(
    program
      .command('query')
      .description('run a query over the local store (language: lib/query/README.md)')
      .argument('<query>', 'e.g. \'process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"\', or - to read it from stdin')
      .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table'))
      .option('--max-rows <n>', 'stop after n rows', '10000')
      .addOption(new Option('--explain <dialect>', 'print the SQL and parameters instead of running').choices(['duckdb', 'athena'])),
  ).action((arg: string, o: QueryOpts) => load<QueryRun>('query-run').query(arg, o));

  withScopeOptions(
    program
      .command('repl')
      .description('interactive query prompt over the store, or over a dump analyzed on the fly')
      .argument('[dump]', 'memory dump to analyze into a temporary store')
      .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table'))
      .option('--history <file>', 'history file (default ~/.memq_history; "" for none)'),
  ).action((dump: string | undefined, o: ReplOpts) => load<QueryRun>('query-run').repl(dump, o));
}
