// The memq command line: a thin layer over lib/. Each command parses options, calls one library
// function and renders. Errors the user can fix print one line and exit 1; bugs exit 2.
// Start-up stays small: this file and the command specs it registers load only commander; each
// command's implementation is required when it runs (lazy.ts).
import { Command, Option } from 'commander';
import { registerInspectCommands } from './inspect';
import { register as registerStoreCommands } from './store-commands';
import { register as registerQueryCommands } from './query-commands';
import { register as registerServeCommands } from './serve-commands';
import { register as registerHuntCommands } from './hunt-commands';
import { register as registerEvidenceCommands } from './evidence-commands';

export { mainFromSourcesIfStale } from './lazy';

/** A MemqError from any module: compared by name, since a lazily loaded bundle has its own copy of the class. */
function isUserError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'MemqError';
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program.name('memq').description('memory forensics: dumps → object tables → queries').version((require('../../package.json') as { version: string }).version).showHelpAfterError();
  registerInspectCommands(program);
  registerStoreCommands(program);
  registerQueryCommands(program);
  registerServeCommands(program);
  registerHuntCommands(program);
  registerEvidenceCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`memq: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

export { Option };
