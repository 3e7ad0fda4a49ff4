// The Athena side without AWS: parameters rendered as Athena ExecutionParameters literals, and the
// data plane's Athena engine driving a fake port (start → state → fetch) with text cells converted
// back to the JSON values the DuckDB engine returns.
import { athenaParameters, athenaCell } from '../../lib/engine';
import { athenaEngine } from '../../lib/dataplane/engines';
import { compileQuery } from '../../lib/query';

test('ExecutionParameters literals', () => {
  expect(athenaParameters(["it's", 42, -7, 2n ** 60n, true, false, 1.5], ['string', 'int32', 'int64', 'int64', 'bool', 'bool', 'double'])).toEqual([
    "'it''s'",
    '42',
    '-7',
    '1152921504606846976',
    'true',
    'false',
    "DOUBLE '1.5'",
  ]);
  // backslashes are not escapes in Trino string literals: passed through as is
  expect(athenaParameters(['%a\\%b%'], ['string'])).toEqual(["'%a\\%b%'"]);
  expect(() => athenaParameters([Infinity], ['double'])).toThrow(/not a finite number/);
});

test('text cells back to values', () => {
  expect(athenaCell(null, 'int32')).toBeNull();
  expect(athenaCell('101', 'int32')).toBe(101);
  expect(athenaCell('9007199254740993', 'int64')).toBe(9007199254740993n);
  expect(athenaCell('true', 'bool')).toBe(true);
  expect(athenaCell('0xffff88e080000000', 'address')).toBe('0xffff88e080000000');
  expect(athenaCell('2026-11-25 10:00:00.000', 'timestamp')).toEqual(new Date('2026-11-25T10:00:00Z'));
  expect(athenaCell('[/sbin/agetty, -o, linux]', 'string_list')).toEqual(['/sbin/agetty', '-o', 'linux']);
  expect(athenaCell('[]', 'string_list')).toEqual([]);
});

test('the Athena engine runs the compiled statement through the port and types the text cells', async () => {
  const calls: { sql: string; params: string[] }[] = [];
  const engine = athenaEngine(
    {
      async start(sql: string, parameters: string[]) {
        calls.push({ sql, params: parameters });
        return 'exec-1';
      },
      async state(id: string) {
        expect(id).toBe('exec-1');
        return { state: 'succeeded' as const, scannedBytes: 0, elapsedMs: 1 };
      },
      async fetch(id: string, maxRows: number) {
        expect([id, maxRows]).toEqual(['exec-1', 10]);
        return { rows: [['acme', 'm1', 's1', '101', '1', 'agetty', '/sbin/agetty -o -p -- \\u --noclear - linux']], truncated: false };
      },
      async stop() {},
    },
    'memq',
  );
  const q = compileQuery('process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"', { dialect: 'athena', database: 'memq', scope: { projects: ['acme'] } });
  const id = await engine.start(q);
  expect(await engine.state(id)).toMatchObject({ state: 'succeeded' });
  const cols = q.columns.map((c) => ({ name: c.name, kind: c.kind }));
  const r = await engine.fetch(id, cols, 10);
  expect(calls[0]!.sql).toContain('FROM "memq"."process" AS o');
  expect(calls[0]!.sql).toContain('EXISTS (SELECT 1 FROM "memq"."vma" AS e1');
  expect(calls[0]!.params).toEqual(["'acme'", '1', "'acme'", "'/usr/sbin/agetty'"]);
  expect(r.rows.map((row) => Object.fromEntries(cols.map((c, i) => [c.name, row[i]])))).toEqual([
    { project: 'acme', machine: 'm1', snapshot: 's1', process_id: 101, parent_process_id: 1, name: 'agetty', command_line: '/sbin/agetty -o -p -- \\u --noclear - linux' },
  ]);
  expect(r.truncated).toBe(false);
});
