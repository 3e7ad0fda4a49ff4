// Hostile query texts: random token soups, mutations of valid queries, deep nesting and huge
// inputs must end in a QueryError (or compile), never another exception or a hang.
import { compileQuery, QueryError } from '../../lib/query';

// deterministic PRNG (mulberry32) so a failure reproduces
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pieces = [
  'process', 'process.process_object.name', 'process.vad_object.file_name', 'process.process_object.argv', 'process.process_object.argv[0]',
  'module.module_object.base', 'socket.process_object.name', '.', '==', '!=', '=~', '<', '>=', 'contains', '!contains', 'in', 'in~', 'matches',
  '&&', '||', '!', 'not', '(', ')', '[', ']', ',', '"x"', "'y'", '"(a"', '1', '0xffffffffffffffff', '-5', '1.5', 'true', 'null',
  'select', 'where', 'order', 'by', 'desc', 'limit', '*', '\\', '"\\u{110000}"', '"', '#', '\n', 'é', '\u0000',
];

function check(text: string): void {
  for (const dialect of ['duckdb', 'athena'] as const) {
    try {
      const c = compileQuery(text, { dialect });
      expect(c.sql.split('?').length - 1).toBe(c.params.length);
    } catch (e) {
      if (!(e instanceof QueryError)) throw new Error(`non-QueryError for ${JSON.stringify(text)}: ${(e as Error).stack}`);
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeGreaterThanOrEqual(1);
    }
  }
}

test('random token soups', () => {
  const r = rng(42);
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(r() * 12);
    const parts: string[] = [];
    for (let j = 0; j < n; j++) parts.push(pieces[Math.floor(r() * pieces.length)]);
    check(parts.join(r() < 0.5 ? ' ' : ''));
  }
});

test('single-character mutations of a valid query', () => {
  const base = 'select process.process_object.process_id, process.vad_object.start where process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty" && process.process_object.argv[0] matches "^/s" order by process.vad_object.start desc limit 5';
  const r = rng(7);
  const alphabet = '.()[]"\'!&|=<>~,#\\ 0x9azZ_-';
  for (let i = 0; i < 2000; i++) {
    const at = Math.floor(r() * base.length);
    const ch = alphabet[Math.floor(r() * alphabet.length)];
    const op = r();
    const text = op < 0.33 ? base.slice(0, at) + base.slice(at + 1) : op < 0.66 ? base.slice(0, at) + ch + base.slice(at) : base.slice(0, at) + ch + base.slice(at + 1);
    check(text);
  }
});

test('deep nesting and size limits end in a QueryError', () => {
  check('('.repeat(5000) + 'process.process_object.exe_deleted' + ')'.repeat(5000));
  check('!'.repeat(5000) + 'process.process_object.exe_deleted');
  check('process.process_object.exe_deleted' + ' && process.process_object.exe_deleted'.repeat(2000));
  check(`process.process_object.name in [${Array.from({ length: 20000 }, (_, i) => `"${i}"`).join(',')}]`);
  check('x'.repeat(300_000));
  check(`process.process_object.name matches "${'(a|b)*'.repeat(1000)}"`);
});
