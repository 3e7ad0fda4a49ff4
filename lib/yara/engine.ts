// YARA rules through YARA-X compiled to WebAssembly (npm @virustotal/yara-x, VirusTotal's own build):
// compiles rule sources (a broken rule is a MemqError with file, line and column) and scans byte
// blocks, returning matched rules with their string occurrences. Portable (no native binary: the same
// package runs on x86-64 and arm64 Lambda) and bounded (matches per string, scan timeout).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemqError } from '../util/errors';

/** what one rule source is called in errors (file path or "hunt parameter <name>") and its text */
export interface RuleSource {
  name: string;
  text: string;
}

export interface StringMatch {
  identifier: string;
  offset: number;
  length: number;
}

export interface RuleMatch {
  rule: string;
  namespace: string;
  tags: string[];
  strings: StringMatch[];
}

export interface YaraScanner {
  /** scans one block; offsets are relative to the block */
  scan(block: Uint8Array): RuleMatch[];
  /** rule names compiled, for reports */
  readonly ruleCount: number;
  readonly warnings: string[];
  free(): void;
}

/** a rule source of more than this is refused (rule files are text; this bounds compile time and memory) */
export const MAX_RULE_SOURCE_BYTES = 8 << 20;
/** occurrences reported per string and block: a string matching every page must not flood the table */
export const MAX_MATCHES_PER_STRING = 1000;
const SCAN_TIMEOUT_MS = 60_000;

interface YaraXModule {
  initSync(m: { module: Uint8Array }): unknown;
  Compiler: new () => {
    addSource(s: string): void;
    newNamespace(ns: string): void;
    build(): { scanner(): YaraXScanner; warnings: string[]; free(): void };
    warnings: string[];
    free(): void;
  };
}
interface YaraXScanner {
  scan(b: Uint8Array): {
    matches: { identifier: string; namespace: string; tags: string[]; patterns: { identifier: string; matches: { offset: number; length: number }[] }[] }[];
  };
  setMaxMatchesPerPattern(n: number): void;
  setTimeoutMs(ms: number): void;
  free(): void;
}

let loaded: Promise<YaraXModule> | null = null;

const WASM = 'yara_x_js_bg.wasm';

/**
 * Loads the WebAssembly module once, from a file (no network, no fetch): beside this code when it is
 * bundled (a Lambda asset: lib/infra/bundle.ts copies it there), else from the npm package.
 */
function yaraX(): Promise<YaraXModule> {
  loaded ??= (async () => {
    const m = (await import('@virustotal/yara-x')) as unknown as YaraXModule;
    const beside = path.join(__dirname, WASM);
    const file = fs.existsSync(beside) ? beside : path.join(path.dirname(require.resolve('@virustotal/yara-x/package.json')), 'pkg', WASM);
    m.initSync({ module: fs.readFileSync(file) });
    return m;
  })();
  return loaded;
}

/**
 * YARA-X reports `error[E001]: syntax error\n --> line:4:6\n  |\n4 | …\n  |      ^^^^ expecting …`:
 * one line with the source name, line, column and what is wrong.
 */
export function ruleError(source: string, raw: string): MemqError {
  const title = /error\[\w+\]:\s*([^\n]*)/.exec(raw)?.[1]?.trim() ?? 'invalid rule';
  const loc = /-->\s*line:(\d+):(\d+)/.exec(raw);
  const detail = /\^+\s*([^\n]+)/.exec(raw)?.[1]?.trim();
  const where = loc ? `line ${loc[1]}, column ${loc[2]}` : 'unknown position';
  return new MemqError(`YARA rules ${source}: ${where}: ${title}${detail && detail !== title ? ` (${detail})` : ''}`, 'E_YARA_RULE');
}

/** Compiles the sources, each in its own namespace (its name), into a scanner. */
export async function compileRules(sources: RuleSource[]): Promise<YaraScanner> {
  if (sources.length === 0) throw new MemqError('no YARA rules given', 'E_YARA_RULE');
  const m = await yaraX();
  const compiler = new m.Compiler();
  try {
    for (const s of sources) {
      if (Buffer.byteLength(s.text) > MAX_RULE_SOURCE_BYTES) throw new MemqError(`YARA rules ${s.name}: larger than ${MAX_RULE_SOURCE_BYTES} bytes`, 'E_YARA_RULE');
      compiler.newNamespace(namespaceOf(s.name));
      try {
        compiler.addSource(s.text);
      } catch (e) {
        throw ruleError(s.name, e instanceof Error ? e.message : String(e));
      }
    }
    const rules = compiler.build();
    const scanner = rules.scanner();
    scanner.setMaxMatchesPerPattern(MAX_MATCHES_PER_STRING);
    scanner.setTimeoutMs(SCAN_TIMEOUT_MS);
    const ruleCount = sources.reduce((n, s) => n + (s.text.match(/^\s*(?:(?:private|global)\s+)*rule\s+\w+/gm)?.length ?? 0), 0);
    return {
      ruleCount,
      warnings: [...rules.warnings],
      scan(block: Uint8Array): RuleMatch[] {
        let res: ReturnType<YaraXScanner['scan']>;
        try {
          res = scanner.scan(block);
        } catch (e) {
          throw new MemqError(`YARA scan failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, 'E_YARA_SCAN');
        }
        return res.matches.map((r) => ({
          rule: r.identifier,
          namespace: r.namespace,
          tags: [...r.tags],
          strings: r.patterns.flatMap((p) => p.matches.map((x) => ({ identifier: p.identifier, offset: x.offset, length: x.length }))),
        }));
      },
      free() {
        scanner.free();
        rules.free();
      },
    };
  } finally {
    compiler.free();
  }
}

/** a namespace name YARA accepts, from a file name: "rules/miner.yar" → "miner" */
export function namespaceOf(name: string): string {
  const base = path.basename(name).replace(/\.(yara?|rules?)$/i, '');
  const ns = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(ns) ? ns : `ns_${ns}`;
}

/** Reads rule files (bounded) as sources. */
export function ruleFiles(files: string[]): RuleSource[] {
  return files.map((f) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(f);
    } catch {
      throw new MemqError(`YARA rules ${f}: no such file`, 'E_YARA_RULE');
    }
    if (!st.isFile()) throw new MemqError(`YARA rules ${f}: not a file`, 'E_YARA_RULE');
    if (st.size > MAX_RULE_SOURCE_BYTES) throw new MemqError(`YARA rules ${f}: larger than ${MAX_RULE_SOURCE_BYTES} bytes`, 'E_YARA_RULE');
    return { name: f, text: fs.readFileSync(f, 'utf8') };
  });
}
