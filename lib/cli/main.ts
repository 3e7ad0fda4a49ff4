// The memq command line: a thin layer over lib/. Each command parses options, calls one library
// function and renders. Errors the user can fix print one line and exit 1; bugs exit 2.
import { Command, Option } from 'commander';
import { isMemqError } from '../util/errors';
import { registerInspectCommands } from './inspect';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('memq')
    .description('memory forensics: dumps → object tables → queries')
    .version(require('../../package.json').version)
    .showHelpAfterError();
  registerInspectCommands(program);
  for (const register of extraCommandModules()) register(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (isMemqError(e)) {
      process.stderr.write(`memq: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

/** Command modules owned by other layers (query, store, serve…) register here when present. */
function extraCommandModules(): ((p: Command) => void)[] {
  const out: ((p: Command) => void)[] = [];
  for (const m of ['./store-commands', './query-commands', './serve-commands', './hunt-commands']) {
    try {
      out.push(require(m).register);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((e as Error).message).includes(m.slice(2))) throw e;
    }
  }
  return out;
}

export { Option };
