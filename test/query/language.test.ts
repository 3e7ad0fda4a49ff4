// The language front end: tokens, string escapes, grammar forms, and every kind of user error with
// its line, column and suggestions. Positions are counted by hand from the query texts below.
import { tokenize } from '../../lib/query/lexer';
import { parseQuery } from '../../lib/query/parser';
import { checkQueryText, compileQuery, QueryError, completePath, caretSnippet } from '../../lib/query';
import { MemqError } from '../../lib/util/errors';

function err(text: string): QueryError {
  try {
    compileQuery(text, { dialect: 'duckdb' });
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    expect(e).toBeInstanceOf(MemqError);
    return e as QueryError;
  }
  throw new Error(`no error for: ${text}`);
}

describe('lexer', () => {
  test('numbers: decimal, hex, underscores, fractions', () => {
    const t = tokenize('1 0x1F 1_000 2.5 0xffff_ffff_ffff_ffff');
    expect(t.slice(0, 5).map((x) => x.num)).toEqual([1n, 31n, 1000n, 2.5, 0xffffffffffffffffn]);
  });
  test('string escapes', () => {
    const [s] = tokenize(String.raw`"a\"b\\c\n\t\x41\u0042\u{1F600}\d"`);
    expect(s.value).toBe('a"b\\c\n\tAB\u{1F600}\\d');
    expect(tokenize(`'it''s'`).length).toBe(3); // two strings: no SQL-style quote doubling
    expect(tokenize(String.raw`'it\'s'`)[0].value).toBe("it's");
  });
  test('comments', () => {
    expect(tokenize('a # comment\n// other\nb').filter((x) => x.kind === 'ident').map((x) => x.value)).toEqual(['a', 'b']);
  });
  test('errors carry positions', () => {
    expect(() => tokenize('a == "open')).toThrow(/column 6: unterminated string/);
    expect(() => tokenize('a $ b')).toThrow(/column 3: unexpected character "\$"/);
    expect(() => tokenize('x == 12ab')).toThrow(/malformed number/);
  });
});

describe('grammar', () => {
  test('condition, select … where, bare object, order, limit', () => {
    expect(parseQuery('process').object?.name).toBe('process');
    const q = parseQuery('select process.process_object.name, process.vad_object.* where process.process_object.process_id > 1 order by process.process_object.name desc limit 5');
    expect(q.select?.length).toBe(2);
    expect(q.select?.[1].star).toBe(true);
    expect(q.order[0].desc).toBe(true);
    expect(q.limit?.value).toBe(5);
    expect(parseQuery('where process.process_object.exe_deleted').where?.kind).toBe('cond');
  });
  test('precedence: ! binds tighter than &&, && tighter than ||; word forms', () => {
    const q = parseQuery('a.b.c || !a.b.d && a.b.e');
    expect(q.where?.kind).toBe('or');
    const w = q.where as { items: { kind: string }[] };
    expect(w.items.map((x) => x.kind)).toEqual(['cond', 'and']);
    const q2 = parseQuery('a.b.c OR NOT a.b.d AND a.b.e');
    expect(JSON.stringify(q2.where, (k, v) => (k === 'pos' || k === 'end' ? undefined : v))).toBe(
      JSON.stringify(q.where, (k, v) => (k === 'pos' || k === 'end' ? undefined : v)),
    );
  });
  test('operator spellings map to base + flags', () => {
    const op = (s: string) => {
      const q = parseQuery(`a.b.c ${s}`);
      const w = q.where as { op: { base: string; negated: boolean; insensitive: boolean } };
      return [w.op.base, w.op.negated, w.op.insensitive];
    };
    expect(op('!= 1')).toEqual(['eq', true, false]);
    expect(op('=~ "x"')).toEqual(['eq', false, true]);
    expect(op('!~ "x"')).toEqual(['eq', true, true]);
    expect(op('!icontains "x"')).toEqual(['contains', true, true]);
    expect(op('not startswith "x"')).toEqual(['startswith', true, false]);
    expect(op('not in [1]')).toEqual(['in', true, false]);
    expect(op('in~ ["a"]')).toEqual(['in', false, true]);
    expect(op('imatches "x"')).toEqual(['matches', false, true]);
  });
  test('keywords stay usable as field names', () => {
    expect(() => checkQueryText('syscall.syscall_object.index == 59')).not.toThrow();
    expect(() => checkQueryText('process.vad_object.end > 0x1000')).not.toThrow();
  });
  test('multi-line queries report the right line', () => {
    const e = err('process.process_object.parent_process_id == 1 &&\n    process.vad_object.file_nam == "/usr/sbin/agetty"');
    expect([e.line, e.column]).toEqual([2, 24]);
    expect(e.suggestions).toEqual(['file_name']);
    expect(caretSnippet('x\n    process.vad_object.file_nam', e)).toBe('      process.vad_object.file_nam\n                         ^');
  });
  test('syntax errors', () => {
    expect(err('process.process_object.name = "a"').message).toMatch(/column 29: unexpected "=" \(use == to compare\)/);
    expect(err('process.process_object.name == bash').message).toMatch(/column 32: .*strings need quotes/);
    expect(err('(process.process_object.exe_deleted').message).toMatch(/column 1: unclosed "\("/);
    expect(err('process.process_object.exe_deleted)').message).toMatch(/unbalanced "\)"/);
    expect(err('process.process_object.exe_deleted &&').message).toMatch(/query ends where a condition was expected/);
    expect(err('').message).toMatch(/empty query/);
    expect(err('process.process_object.pid in 1').message).toMatch(/expected a list/);
    expect(err('process limit -1').message).toMatch(/after "limit"/);
    expect(err('!'.repeat(300) + 'process.process_object.exe_deleted').message).toMatch(/nested more than 200/);
  });
});

describe('names and "did you mean"', () => {
  test('unknown object', () => {
    const e = err('proces.process_object.name == "a"');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.suggestions).toEqual(['process']);
  });
  test('unknown sub-object', () => {
    const e = err('process.vma_object.file_name == "a"');
    expect(e.column).toBe(9);
    expect(e.suggestions).toContain('vad_object');
  });
  test('unknown field, with the same field elsewhere in the object', () => {
    const e = err('process.process_object.parnt_process_id == 1');
    expect(e.column).toBe(24);
    expect(e.suggestions[0]).toBe('parent_process_id');
    const e2 = err('process.process_object.file_name == "x"');
    expect(e2.suggestions).toContain('vad_object.file_name');
  });
  test('missing sub-object', () => {
    const e = err('process.name == "bash"');
    expect(e.message).toMatch(/"name" is a field/);
    expect(e.suggestions).toContain('process.process_object.name');
  });
  test('bare field name', () => {
    const e = err('parent_process_id == 1');
    expect(e.suggestions).toContain('process.process_object.parent_process_id');
  });
  test('mixing objects', () => {
    expect(err('process.process_object.name == "a" && socket.socket_object.state == "LISTEN"').message).toMatch(/column 39: a query selects one kind of object/);
  });
});

describe('Volatility, procfs and SQL habits', () => {
  test('pid, ppid, comm, cmdline, offset: the field memq means is suggested first', () => {
    const cases: [string, string[]][] = [
      ['pid', ['process_id']],
      ['ppid', ['parent_process_id']],
      ['comm', ['name']],
      ['cmdline', ['command_line', 'argv']],
      ['offset', ['object_address']],
    ];
    for (const [habit, fields] of cases) {
      const e = err(`process.process_object.${habit} == 1`);
      expect(e.suggestions.slice(0, fields.length)).toEqual(fields);
      expect(e.message).toContain(`memq calls it "${fields[0]}"`);
    }
    expect(err('thread.thread_object.tid == 1').suggestions[0]).toBe('thread_id');
    expect(err('socket.socket_object.lport == 22').suggestions[0]).toBe('local_port');
    // bare and two-part forms point at the full path
    expect(err('pid == 1').suggestions[0]).toBe('process.process_object.process_id');
    expect(err('process.ppid == 1').suggestions[0]).toBe('process.process_object.parent_process_id');
  });
  test('field-to-field comparison: same sub-object, same kind, comparison operators; other forms say why (#14)', () => {
    const c = compileQuery('process.process_object.uid != process.process_object.euid', { dialect: 'duckdb' });
    expect(c.sql).toContain('NOT COALESCE(o."uid" = o."euid", FALSE)');
    expect(c.params).toEqual([]);
    const el = compileQuery('process.vad_object.start >= process.vad_object.end && process.vad_object.is_executable', { dialect: 'athena' });
    expect(el.sql).toContain(`AND e1."process_id" = o."process_id" AND (e1."start" >= e1."end" AND e1."is_executable")`); // one element
    expect(compileQuery('process.process_object.name =~ process.process_object.exe_path', { dialect: 'duckdb' }).sql).toContain('lower(o."name") = lower(o."exe_path")');
    const e = err('process.process_object.uid != process.parent_object.uid');
    expect(e.column).toBe(31);
    expect(e.message).toMatch(/are in different sub-objects/);
    expect(err('process.process_object.name == process.process_object.uid').message).toMatch(/type mismatch: process.process_object.name is a string, but process.process_object.uid is a whole number/);
    expect(err('process.process_object.name contains process.process_object.cwd').message).toMatch(/"contains" compares with a value/);
    expect(err('process.process_object.argv == process.process_object.argv').message).toMatch(/lists cannot be compared/);
    expect(err('process.process_object.name in process.process_object.cwd').message).toMatch(/expected a list \[ … \] after "in"/);
    expect(err('process.process_object.name in [process.process_object.cwd]').message).toMatch(/"in" takes a list of values \[ … \], not a field/);
  });
  test('aggregation: count(*), distinct, group by compile; other aggregates and mistakes say what to write (#14)', () => {
    const c = compileQuery('select process.process_object.exe_path, count(*) group by process.process_object.exe_path order by count asc', { dialect: 'duckdb' });
    expect(c.columns.map((x) => [x.name, x.kind])).toEqual([['exe_path', 'string'], ['count', 'int32']]);
    expect(c.sql).toMatch(/GROUP BY t\."exe_path"\nORDER BY count\(\*\) ASC/);
    // group by is implied by the selected fields
    expect(compileQuery('select process.process_object.name, count(*) where process.process_object.process_id > 0', { dialect: 'athena' }).sql).toMatch(/GROUP BY t\."name"\nORDER BY count\(\*\) DESC/);
    expect(compileQuery('select distinct process.process_object.name', { dialect: 'duckdb' }).columns.map((x) => x.name)).toEqual(['name']);
    expect(compileQuery('select count(*) where process.process_object.exe_deleted', { dialect: 'duckdb' }).sql).not.toMatch(/GROUP BY/);
    expect(err('select sum(process.process_object.thread_count)').message).toMatch(/column 8: "sum" is not supported: memq aggregates with count\(\*\), select distinct and group by only/);
    expect(err('select process.process_object.name, count(*) group by process.process_object.exe_path').message).toMatch(/group by process.process_object.exe_path: select it too/);
    expect(err('select process.process_object.name, process.process_object.exe_path, count(*) group by process.process_object.name').message).toMatch(/is selected but not grouped/);
    expect(err('select process.process_object.argv, count(*)').message).toMatch(/lists cannot be grouped/);
    expect(err('select process.process_object.name order by count').message).toMatch(/needs count\(\*\)/);
    expect(err('process.process_object.name == "a" having x').message).toMatch(/"having" is not supported/);
  });
  test('like "x%" suggests the operator that does the same', () => {
    expect(err('process.process_object.name like "kwork%"').message).toMatch(/column 29: "like" is SQL; memq has no LIKE patterns: write startswith "kwork"/);
    expect(err('process.process_object.name like "%.so"').message).toMatch(/write endswith "\.so"/);
    expect(err('process.process_object.name LIKE "%bash%"').message).toMatch(/write contains "bash"/);
    expect(err('process.process_object.name ilike "a_b%"').message).toMatch(/write imatches "\^a\.b\.\*\$"/);
    expect(err('process.process_object.name not like "x%"').message).toMatch(/write !startswith "x"/);
  });
  test('unquoted words: the whole word, dash included, is shown quoted', () => {
    const e = err('process.process_object.name == kworker-u8');
    expect(e.column).toBe(32);
    expect(e.message).toMatch(/unquoted text with "-": strings need quotes, write "kworker-u8"/);
    expect(err('process.process_object.name == kworker-1').message).toMatch(/strings need quotes: "kworker-1"/);
    expect(err('process.process_object.name == sshd').message).toMatch(/strings need quotes: "sshd"/);
  });
  test('"\\SystemRoot\\" written with single backslashes explains escapes', () => {
    const BS = '\\';
    const single = `process.process_object.exe_path startswith "${BS}SystemRoot${BS}"`;
    const e = err(single);
    expect(e.column).toBe(44);
    expect(e.message).toMatch(/unterminated string/);
    expect(e.message).toContain(`a backslash escapes the next character, so ${BS}" is a quote inside the string`);
    expect(e.message).toContain(`"${BS}${BS}SystemRoot${BS}${BS}" is ${BS}SystemRoot${BS}`);
    // an unterminated string without a backslash-quote keeps the plain message
    expect(err('process.process_object.name == "abc').message).not.toMatch(/backslash/);
    const doubled = `process.process_object.exe_path startswith "${BS}${BS}SystemRoot${BS}${BS}"`;
    // the value is \SystemRoot\ (one backslash each side), escaped for LIKE … ESCAPE '\'
    expect(compileQuery(doubled, { dialect: 'duckdb' }).params).toContain(`${BS}${BS}SystemRoot${BS}${BS}%`);
  });
  test('look-behind and look-ahead: RE2 has none, said plainly, position on the group', () => {
    const e = err('process.process_object.name matches "a(?<!b)c"');
    expect(e.column).toBe(39);
    expect(e.message).toMatch(/\(\?<!…\) is a look-behind: RE2 .* has no look-around/);
    expect(err('process.process_object.name matches "(?=x)"').message).toMatch(/look-ahead/);
  });
});

describe('result column names', () => {
  test('a 1:1 sub-object field keeps its path; primary and 1:N fields are plain (#14)', () => {
    const names = (q: string) => compileQuery(q, { dialect: 'duckdb' }).columns.map((c) => c.name);
    expect(names('select process.process_object.name, process.parent_object.exe_path')).toEqual(['project', 'machine', 'snapshot', 'name', 'parent_object.exe_path']);
    expect(names('select socket.socket_object.local_port, socket.process_object.name')).toEqual(['project', 'machine', 'snapshot', 'local_port', 'process_object.name']);
    expect(names('select process.process_object.process_id, process.vad_object.file_name')).toEqual(['project', 'machine', 'snapshot', 'process_id', 'file_name']);
    expect(names('select process.process_object.name, process.env_object.name')).toEqual(['project', 'machine', 'snapshot', 'process_object.name', 'env_object.name']);
  });
});

describe('types', () => {
  test('type mismatches', () => {
    expect(err('process.process_object.process_id == "1"').message).toMatch(/column 38: type mismatch: process.process_object.process_id is a whole number \(int32\), but "1" is a string/);
    expect(err('process.process_object.name == 1').message).toMatch(/type mismatch/);
    expect(err('process.process_object.exe_deleted == 1').message).toMatch(/is a boolean/);
    expect(err('process.process_object.process_id == 1.5').message).toMatch(/has a fraction/);
    expect(err('process.process_object.process_id == 0x100000000').message).toMatch(/out of range/);
  });
  test('operators that do not fit the kind', () => {
    expect(err('process.process_object.process_id contains "1"').message).toMatch(/"contains" applies to strings/);
    expect(err('process.process_object.process_id =~ 1').message).toMatch(/case-insensitively/);
    expect(err('process.process_object.exe_deleted > true').message).toMatch(/does not apply/);
    expect(err('process.process_object.argv < "a"').message).toMatch(/does not apply/);
    expect(err('module.module_object.base contains "ff"').message).toMatch(/compare addresses/);
    expect(err('process.process_object.name contains null').message).toMatch(/null can only be tested/);
  });
  test('a non-boolean field cannot stand alone', () => {
    expect(err('process.process_object.name').message).toMatch(/is a string: compare it/);
  });
  test('addresses: hex, decimal, quoted; range checked', () => {
    const c = compileQuery('module.module_object.base == 18446744072635809792 || module.module_object.base == "0XFFFFFFFFC0000000" || module.module_object.base == 0x10', { dialect: 'duckdb' });
    expect(c.params).toEqual(['0xffffffffc0000000', '0xffffffffc0000000', '0x0000000000000010']);
    expect(err('module.module_object.base == 0x1ffffffffffffffff').message).toMatch(/not a 64-bit address/);
    expect(err('module.module_object.base == "kernel"').message).toMatch(/write it as hex/);
  });
  test('timestamps', () => {
    expect(compileQuery('process.process_object.create_time > "2026-11-25T12:00:00+02:00"', { dialect: 'duckdb' }).params).toEqual(['2026-11-25 10:00:00.000']);
    expect(err('process.process_object.create_time > "yesterday"').message).toMatch(/not a timestamp/);
  });
  test('regexes must compile as RE2, error inside the string', () => {
    const e = err('process.process_object.name matches "ab(c"');
    expect(e.message).toMatch(/regular expression does not compile \(RE2 syntax\): missing closing \)/);
    expect(e.column).toBe(38);
    expect(err('process.process_object.name matches "(?<=a)b"').message).toMatch(/look-behind: RE2/);
    expect(err('process.process_object.name matches "(a)\\1"').message).toMatch(/RE2 syntax/);
    expect(err('process.process_object.name matches "(?P<x>a)"').message).toMatch(/not portable/);
    expect(compileQuery('process.process_object.name imatches "^a\\d"', { dialect: 'athena' }).params).toEqual(['(?i)^a\\d']);
  });
  test('index only on lists; select at most one 1:N sub-object', () => {
    expect(err('process.process_object.name[0] == "a"').message).toMatch(/not a list/);
    expect(err('select process.vad_object.start, process.thread_object.thread_id').message).toMatch(/at most one 1:N sub-object/);
    expect(err('select process.process_object.name order by process.vad_object.start').message).toMatch(/also selected/);
  });
});

describe('values are never spliced into SQL', () => {
  test('hostile strings end up only in params', () => {
    const evil = `x'); DROP TABLE process; --"`;
    for (const dialect of ['duckdb', 'athena'] as const) {
      const c = compileQuery(`process.process_object.name == ${JSON.stringify(evil)} || process.process_object.argv contains ${JSON.stringify(evil)}`, { dialect, scope: { projects: [evil] } });
      expect(c.sql).not.toContain('DROP');
      expect(c.params).toContain(evil);
    }
  });
});

describe('completion from the catalog', () => {
  test('objects, sub-objects, fields', () => {
    expect(completePath('pro')).toEqual(['process']);
    expect(completePath('process.va')).toEqual(['process.vad_object']);
    expect(completePath('process.vad_object.file')).toEqual(['process.vad_object.file_name']);
    expect(completePath('nothing.x')).toEqual([]);
  });
});

describe('the language reference', () => {
  const readme = require('node:fs').readFileSync(require('node:path').join(__dirname, '../../lib/query/README.md'), 'utf8') as string;
  test('every example in README "Examples" compiles for both dialects', () => {
    const section = readme.split('## Examples')[1].split('\n## ')[0];
    const examples = section
      .split('\n')
      .filter((l) => l.startsWith('    ') && !l.trim().startsWith('#'))
      .map((l) => l.trim());
    expect(examples.length).toBeGreaterThan(20);
    for (const q of examples) {
      for (const dialect of ['duckdb', 'athena'] as const) expect(() => compileQuery(q, { dialect })).not.toThrow();
    }
  });
});
