// The Athena side of the engine without AWS: parameters rendered as Athena ExecutionParameters
// literals, and athenaExecutor driving a fake AthenaPort (start → wait → fetch) with text cells
// converted back to the same JS values the DuckDB engine returns.
import { athenaParameters, athenaCell, athenaExecutor, runWith, type AthenaPort } from '../../lib/engine';

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

test('athenaExecutor runs the compiled Athena statement through the port', async () => {
  const calls: { sql: string; params: string[] }[] = [];
  const port: AthenaPort = {
    async start(sql, parameters) {
      calls.push({ sql, params: parameters });
      return 'exec-1';
    },
    async wait(id) {
      expect(id).toBe('exec-1');
    },
    async fetch(id, maxRows) {
      expect(maxRows).toBe(10);
      return { rows: [['acme', 'm1', 's1', '101', '1', 'agetty', '/sbin/agetty -o -p -- \\u --noclear - linux']], truncated: false };
    },
  };
  const r = await runWith(athenaExecutor(port), 'process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"', { projects: ['acme'] }, { maxRows: 10, database: 'memq' });
  expect(calls[0].sql).toContain('FROM "memq"."process" AS o');
  expect(calls[0].sql).toContain('EXISTS (SELECT 1 FROM "memq"."vma" AS e1');
  expect(calls[0].params).toEqual(["'acme'", '1', "'acme'", "'/usr/sbin/agetty'"]);
  expect(r.rows).toEqual([
    { project: 'acme', machine: 'm1', snapshot: 's1', process_id: 101, parent_process_id: 1, name: 'agetty', command_line: '/sbin/agetty -o -p -- \\u --noclear - linux' },
  ]);
  expect(r.truncated).toBe(false);
});
