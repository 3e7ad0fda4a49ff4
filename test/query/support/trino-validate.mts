// Parses SQL statements with dt-sql-parser's Trino grammar (generated from Trino's own SqlBase.g4).
// Reads a JSON array of statements on stdin, prints a JSON array of error lists. Run with tsx: the
// package is ESM with directory imports, which jest's CommonJS runtime cannot load.
import { TrinoSQL } from 'dt-sql-parser';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const statements = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
const parser = new TrinoSQL();
const out = statements.map((s) => parser.validate(s).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`));
process.stdout.write(JSON.stringify(out));
