// The data plane's Athena engine (lib/dataplane/engines.ts over lib/engine/athena.ts) with the SDK
// mocked (aws-sdk-client-mock): a real compiled query goes out as QueryString + ExecutionParameters in
// the workgroup, the state is polled until it succeeds, results are paged (header row dropped) and
// typed; a failure carries Athena's reason, and a statement whose caller gave up is stopped.
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { AthenaSdkPort } from '../../lib/engine/athena';
import { athenaEngine } from '../../lib/dataplane/engines';
import { compileQuery } from '../../lib/query';

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

const port = (o: Partial<ConstructorParameters<typeof AthenaSdkPort>[0]> = {}) =>
  new AthenaSdkPort({ client: new AthenaClient({ region: 'us-east-1' }), workGroup: 'memq-wg', database: 'memq_db', ...o });

const cell = (v: string | null) => (v === null ? {} : { VarCharValue: v });

test('compile → start with parameters → poll → paged results, typed like DuckDB results', async () => {
  const q = compileQuery('process.process_object.parent_process_id == 1 && process.process_object.name == "agetty"', {
    dialect: 'athena',
    database: 'memq_db',
    scope: { projects: ['prj_1'] },
  });
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'qe-1' });
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1234 } } });
  const colInfo = q.columns.map((c) => ({ Name: c.name, Label: c.name, Type: 'varchar' }));
  const values = (pid: string): Record<string, string | null> => ({ project: 'prj_1', machine: 'm', snapshot: 's', process_id: pid, parent_process_id: '1', name: 'agetty', command_line: null });
  const row = (pid: string) => ({ Data: q.columns.map((c) => cell(values(pid)[c.name] ?? null)) });
  athena
    .on(GetQueryResultsCommand, { QueryExecutionId: 'qe-1', NextToken: undefined })
    .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: colInfo }, Rows: [{ Data: colInfo.map((c) => cell(c.Name)) }, row('101')] }, NextToken: 't2' });
  athena
    .on(GetQueryResultsCommand, { QueryExecutionId: 'qe-1', NextToken: 't2' })
    .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: colInfo }, Rows: [row('102')] } });

  const engine = athenaEngine(port(), 'memq_db');
  const id = await engine.start(q);
  let polls = 0;
  while ((await engine.state(id)).state === 'running') polls++;
  const cols = q.columns.map((c) => ({ name: c.name, kind: c.kind }));
  const fetched = await engine.fetch(id, cols, 100);
  const res = { truncated: fetched.truncated, rows: fetched.rows.map((r) => Object.fromEntries(cols.map((c, i) => [c.name, r[i]]))) };
  expect(polls).toBe(2);
  const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
  expect(start).toMatchObject({ QueryString: q.sql, WorkGroup: 'memq-wg', QueryExecutionContext: { Database: 'memq_db' } });
  expect(start.ExecutionParameters).toHaveLength(q.params.length);
  expect(start.ExecutionParameters).toContain("'agetty'");
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
  expect(res.truncated).toBe(false);
  expect(res.rows).toHaveLength(2);
  expect(start.ExecutionParameters).toEqual(["'prj_1'", '1', "'agetty'"]);
  expect(res.rows).toEqual([
    { project: 'prj_1', machine: 'm', snapshot: 's', process_id: 101, parent_process_id: 1, name: 'agetty', command_line: null },
    { project: 'prj_1', machine: 'm', snapshot: 's', process_id: 102, parent_process_id: 1, name: 'agetty', command_line: null },
  ]);
});

test('maxRows truncates and stops paging', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'qe-2' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'integer' }] }, Rows: [{ Data: [cell('1')] }, { Data: [cell('2')] }, { Data: [cell('3')] }] },
    NextToken: 'more',
  });
  const p = port({ pageSize: 3 });
  const r = await p.fetch('qe-2', 2);
  expect(r).toEqual({ rows: [['1'], ['2']], truncated: true });
  expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(1);
});

test('a failed query reports Athena\'s reason', async () => {
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources: scan cutoff' } } });
  const st = await athenaEngine(port(), 'memq_db').state('qe-3');
  expect(st).toEqual({ state: 'failed', reason: expect.stringMatching(/failed: Query exhausted resources: scan cutoff/) });
});

test('a statement whose caller gave up is stopped', async () => {
  athena.on(StopQueryExecutionCommand).resolves({});
  await athenaEngine(port(), 'memq_db').stop!('qe-4');
  expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({ QueryExecutionId: 'qe-4' });
});

test('SQL over the Athena limit is refused before any call', async () => {
  await expect(port().start('SELECT 1 -- ' + 'x'.repeat(262_200), [])).rejects.toThrow(/262,144/);
  expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
});
