// "The Athena side reads what DuckDB writes": real dumps (the Linux dev kdump and the Windows triage
// dump) are analyzed into Parquet with the production writer (lib/store analyzeToDirectory, the same
// ParquetWriter the pipeline shards use); every file's footer is then read with hyparquet — a pure-JS
// reader sharing no code with DuckDB — and each column's physical type, logical/converted annotation
// and list structure is checked against the Glue column type the CDK catalog construct renders from
// lib/model (LakeCatalog synthesized here, columns read from the template), by the rules the Hive
// Parquet SerDe of Athena engine version 3 (Trino's Parquet reader) applies. A mismatch fails with
// table.column and both types.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as kms from 'aws-cdk-lib/aws-kms';
import { LakeCatalog } from '../../lib/infra/catalog';
import { analyzeToDirectory } from '../../lib/store/analyze';
import { tables, tableNames, partitionKeys, type ColumnDef, type TableName } from '../../lib/model';
import { IMAGES, dumpPath, imagesAvailable, describeWithImages } from '../support/dumps';

/** A Parquet schema element as hyparquet reports it (the footer's flattened schema). */
interface El {
  name: string;
  type?: string;
  repetition_type?: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  num_children?: number;
  converted_type?: string;
  logical_type?: { type: string; unit?: string; isAdjustedToUTC?: boolean; bitWidth?: number; isSigned?: boolean; precision?: number; scale?: number };
  precision?: number;
  scale?: number;
}
interface Node extends El {
  children: Node[];
}
interface FileInfo {
  created_by: string | null;
  num_rows: number;
  schema: El[];
  codecs: string[];
  values?: Record<string, unknown[]>;
}

// ------------------------------------------------------------------------------------------------
// Which Parquet leaf types Athena engine v3 reads as each Hive/Glue primitive type. Columns are matched
// by NAME (the Hive SerDe default, parquet.column.index.access=false), case-insensitively — hence the
// lower-case snake_case rule below so the names are identical in both engines.
//
//   Glue type   Parquet physical   annotation (logical / legacy converted)             notes
//   ---------   ----------------   -------------------------------------------------   ---------------------------
//   boolean     BOOLEAN            none
//   int         INT32              none | INTEGER(32, signed) | INT_32                 INT_8/INT_16 widen too; UINT_* not signed
//   bigint      INT64              none | INTEGER(64, signed) | INT_64                 UINT_64 would read values ≥ 2^63 negative
//   double      DOUBLE             none                                                FLOAT widens; not used
//   string      BYTE_ARRAY         STRING | UTF8 (ENUM/JSON also decode as text)       un-annotated binary is varbinary-ish: refused
//   timestamp   INT64              TIMESTAMP(MILLIS|MICROS) | TIMESTAMP_MILLIS|_MICROS engine v3 (Trino) reads INT64 timestamps;
//               INT96              none (legacy Hive/Impala)                           engine v2 needed INT96. isAdjustedToUTC=false
//                                                                                      matches Hive's zone-less timestamp
//   decimal(p,s) INT32/INT64/FLBA  DECIMAL(p, s) with the same p and s                 not used by the catalog
//   array<T>    group (LIST)       3-level: <group name (LIST)> → repeated group → one element field of T
//                                   (2-level legacy lists also read, but we require the standard form)
// ------------------------------------------------------------------------------------------------
const PRIMITIVE_RULES: Record<string, { physical: string[]; annotations: (string | null)[] }> = {
  boolean: { physical: ['BOOLEAN'], annotations: [null] },
  int: { physical: ['INT32'], annotations: [null, 'INTEGER(32,signed)', 'INT_32'] },
  bigint: { physical: ['INT64'], annotations: [null, 'INTEGER(64,signed)', 'INT_64'] },
  double: { physical: ['DOUBLE'], annotations: [null] },
  string: { physical: ['BYTE_ARRAY'], annotations: ['STRING', 'UTF8', 'ENUM', 'JSON'] },
  timestamp: { physical: ['INT64', 'INT96'], annotations: ['TIMESTAMP(MILLIS)', 'TIMESTAMP(MICROS)', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS', null] },
};

/** The annotation of a leaf: the logical type when written (modern), else the converted type (legacy). */
function annotation(e: El): string | null {
  const l = e.logical_type;
  if (l) {
    if (l.type === 'INTEGER') return `INTEGER(${l.bitWidth},${l.isSigned ? 'signed' : 'unsigned'})`;
    if (l.type === 'TIMESTAMP') return `TIMESTAMP(${l.unit})`;
    if (l.type === 'DECIMAL') return `DECIMAL(${l.precision},${l.scale})`;
    return l.type;
  }
  return e.converted_type ?? null;
}

/** How a Parquet node reads, in words, for failure messages. */
function render(n: Node): string {
  if (n.children.length === 0) return `${n.type}${annotation(n) ? ` ${annotation(n)}` : ''} ${n.repetition_type ?? ''}`.trim();
  return `group${annotation(n) ? ` (${annotation(n)})` : ''} ${n.repetition_type ?? ''} { ${n.children.map((c) => `${c.name}: ${render(c)}`).join('; ')} }`;
}

/** Checks one Parquet node against a Glue type; returns the reason it would not read, or null. */
export function athenaReadsAs(n: Node, glue: string): string | null {
  const list = /^array<(.+)>$/.exec(glue);
  if (list) {
    if (n.children.length === 0) return 'a primitive where Athena expects a LIST group';
    if (n.converted_type !== 'LIST' && n.logical_type?.type !== 'LIST') return 'group without the LIST annotation';
    if (n.repetition_type === 'REPEATED') return 'a repeated LIST group (must be optional or required)';
    if (n.children.length !== 1) return `LIST group with ${n.children.length} children (expected 1)`;
    const rep = n.children[0]!;
    if (rep.repetition_type !== 'REPEATED') return 'LIST middle level is not repeated';
    if (rep.children.length !== 1) return 'LIST middle level is not a group of one element (2-level legacy list)';
    const el = rep.children[0]!;
    if (el.repetition_type === 'REPEATED') return 'LIST element is repeated';
    const inner = athenaReadsAs(el, list[1]!);
    return inner && `element: ${inner}`;
  }
  if (n.children.length > 0) return 'a group where Athena expects a primitive';
  if (n.repetition_type === 'REPEATED') return 'a repeated primitive (bare repeated fields are not Hive columns)';
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(glue);
  if (dec) {
    const want = `DECIMAL(${dec[1]},${dec[2]})`;
    const got = n.logical_type?.type === 'DECIMAL' ? annotation(n) : n.converted_type === 'DECIMAL' ? `DECIMAL(${n.precision},${n.scale})` : annotation(n);
    if (!['INT32', 'INT64', 'FIXED_LEN_BYTE_ARRAY', 'BYTE_ARRAY'].includes(n.type ?? '')) return `physical ${n.type} cannot hold a decimal`;
    return got === want ? null : `annotation ${got} is not ${want}`;
  }
  const rule = PRIMITIVE_RULES[glue];
  if (!rule) return `no rule for Glue type ${glue} (extend the table in this test)`;
  if (!rule.physical.includes(n.type ?? '')) return `physical ${n.type} is not ${rule.physical.join(' or ')}`;
  const a = annotation(n);
  if (n.type === 'INT96') return a === null ? null : `INT96 with annotation ${a}`;
  if (glue === 'timestamp' && a === null) return 'INT64 without a TIMESTAMP annotation reads as a number';
  if (!rule.annotations.includes(a)) return `annotation ${a ?? 'none'} is not ${rule.annotations.map((x) => x ?? 'none').join(' | ')}`;
  return null;
}

/** hyparquet's flattened schema → a tree (num_children says how many following elements belong to a group). */
function schemaTree(els: El[]): Node {
  let i = 0;
  const take = (): Node => {
    const e = els[i++]!;
    const n: Node = { ...e, children: [] };
    for (let k = 0; k < (e.num_children ?? 0); k++) n.children.push(take());
    return n;
  };
  const root = take();
  if (i !== els.length) throw new Error(`schema has ${els.length - i} elements outside the root`);
  return root;
}

function readParquet(files: string[], values: Record<string, string[]> = {}): Record<string, FileInfo> {
  const script = path.join(__dirname, '../support/parquet-schema.mjs');
  const out = execFileSync(process.execPath, [script, JSON.stringify({ files, values })], { maxBuffer: 512 << 20 });
  return JSON.parse(out.toString()) as Record<string, FileInfo>;
}

/** The Glue tables as the CDK construct renders them (what CloudFormation will create). */
function synthesizedGlueTables(): Map<string, { columns: { Name: string; Type: string }[]; partitionKeys: { Name: string; Type: string }[]; serde: string }> {
  const app = new App();
  const stack = new Stack(app, 'MemqLakeSchemaTest', { env: { account: '111111111111', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key');
  new LakeCatalog(stack, 'Catalog', { lake: new s3.Bucket(stack, 'Lake'), results: new s3.Bucket(stack, 'Results'), key });
  const res = Template.fromStack(stack).findResources('AWS::Glue::Table');
  const out = new Map();
  for (const r of Object.values(res)) {
    const ti = (r as { Properties: { TableInput: { Name: string; PartitionKeys: unknown[]; StorageDescriptor: { Columns: unknown[]; SerdeInfo: { SerializationLibrary: string } } } } }).Properties.TableInput;
    out.set(ti.Name, { columns: ti.StorageDescriptor.Columns, partitionKeys: ti.PartitionKeys, serde: ti.StorageDescriptor.SerdeInfo.SerializationLibrary });
  }
  return out;
}

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const ADDRESS = /^0x[0-9a-f]{16}$/;

describe('Athena rule table (unit): the checker refuses what Athena engine v3 would misread', () => {
  const leaf = (e: Partial<El>): Node => ({ name: 'c', repetition_type: 'OPTIONAL', ...e, children: [] });
  const list = (el: Node, mid: Partial<Node> = {}): Node => ({ name: 'l', repetition_type: 'OPTIONAL', converted_type: 'LIST', children: [{ name: 'list', repetition_type: 'REPEATED', children: [el], ...mid }] });
  test.each([
    ['bigint', leaf({ type: 'INT64', converted_type: 'INT_64' }), null],
    ['bigint', leaf({ type: 'INT64', logical_type: { type: 'INTEGER', bitWidth: 64, isSigned: false }, converted_type: 'UINT_64' }), /unsigned/],
    ['bigint', leaf({ type: 'INT32' }), /physical INT32/],
    ['int', leaf({ type: 'INT32' }), null],
    ['int', leaf({ type: 'INT64', converted_type: 'INT_64' }), /physical INT64/],
    ['string', leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' }), null],
    ['string', leaf({ type: 'BYTE_ARRAY', logical_type: { type: 'STRING' } }), null],
    ['string', leaf({ type: 'BYTE_ARRAY' }), /annotation none/],
    ['timestamp', leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', unit: 'MICROS', isAdjustedToUTC: false } }), null],
    ['timestamp', leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', unit: 'NANOS', isAdjustedToUTC: false } }), /NANOS/],
    ['timestamp', leaf({ type: 'INT96' }), null],
    ['timestamp', leaf({ type: 'INT64' }), /reads as a number/],
    ['boolean', leaf({ type: 'BOOLEAN' }), null],
    ['double', leaf({ type: 'FLOAT' }), /physical FLOAT/],
    ['decimal(20,0)', leaf({ type: 'FIXED_LEN_BYTE_ARRAY', logical_type: { type: 'DECIMAL', precision: 20, scale: 0 } }), null],
    ['decimal(20,0)', leaf({ type: 'FIXED_LEN_BYTE_ARRAY', logical_type: { type: 'DECIMAL', precision: 38, scale: 0 } }), /DECIMAL\(38,0\)/],
    ['array<string>', list(leaf({ name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8' })), null],
    ['array<string>', { ...list(leaf({ name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8' })), converted_type: undefined }, /without the LIST/],
    ['array<string>', list(leaf({ name: 'element', type: 'INT64' })), /element: physical INT64/],
    ['array<string>', leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REPEATED' }), /primitive where Athena expects a LIST/],
    ['string', leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REPEATED' }), /repeated primitive/],
  ] as [string, Node, RegExp | null][])('%s ← %j', (glue, node, want) => {
    const got = athenaReadsAs(node, glue);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });
});

const run = describeWithImages;

run('every Parquet file memq writes for real dumps reads in Athena as the Glue table declares', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-athena-pq-'));
  const dirs: Record<string, string> = { linux: path.join(tmp, 'linux'), windows: path.join(tmp, 'windows') };
  let glue: ReturnType<typeof synthesizedGlueTables>;
  const info: Record<string, Record<string, FileInfo>> = {};

  beforeAll(async () => {
    glue = synthesizedGlueTables();
    await analyzeToDirectory(await dumpPath('6.1', 'memory.kdump'), dirs.linux!);
    await analyzeToDirectory(path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'), dirs.windows!);
    for (const [osName, dir] of Object.entries(dirs)) {
      const files = tableNames.map((t) => path.join(dir, `${t}.parquet`));
      // the address columns' values, to prove they are text Athena reads (no unsigned 64-bit integer there)
      const values: Record<string, string[]> = {};
      for (const t of tableNames) {
        values[path.join(dir, `${t}.parquet`)] = Object.entries(tables[t].columns as Record<string, ColumnDef>).filter(([, c]) => c.kind === 'address').map(([n]) => n);
      }
      const got = readParquet(files, values);
      info[osName] = Object.fromEntries(tableNames.map((t) => [t, got[path.join(dir, `${t}.parquet`)]!]));
    }
  }, 600_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the synthesized catalog has one Parquet-SerDe Glue table per catalog table, partitioned by the lake keys', () => {
    expect([...glue.keys()].sort()).toEqual([...tableNames].sort());
    for (const [name, g] of glue) {
      expect({ name, serde: g.serde }).toEqual({ name, serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' });
      expect(g.partitionKeys.map((k) => `${k.Name}:${k.Type}`)).toEqual(partitionKeys.map((k) => `${k}:string`));
    }
  });

  test('table, column and partition names are lower-case snake_case, and no file column shadows a partition key', () => {
    const bad: string[] = [];
    for (const [name, g] of glue) {
      if (!SNAKE.test(name)) bad.push(`table ${name}`);
      for (const c of [...g.columns, ...g.partitionKeys]) if (!SNAKE.test(c.Name)) bad.push(`${name}.${c.Name}`);
    }
    for (const [osName, files] of Object.entries(info)) {
      for (const [t, f] of Object.entries(files)) {
        for (const top of schemaTree(f.schema).children) {
          if (!SNAKE.test(top.name)) bad.push(`${osName} file ${t}.${top.name}`);
          if ((partitionKeys as readonly string[]).includes(top.name)) bad.push(`${osName} file ${t}.${top.name} shadows the partition key`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  test.each(['linux', 'windows'])('%s: every column of every file has the Glue column of the same name and a type Athena reads as that Glue type', (osName) => {
    const mismatches: string[] = [];
    let rowsSeen = 0;
    for (const t of tableNames) {
      const f = info[osName]![t]!;
      rowsSeen += f.num_rows;
      expect({ t, created_by: f.created_by?.split(' ')[0] }).toEqual({ t, created_by: 'DuckDB' });
      // the workgroup/table say ZSTD; Athena engine v3 reads ZSTD and SNAPPY Parquet pages
      for (const codec of f.codecs) if (codec !== 'ZSTD' && codec !== 'SNAPPY' && codec !== 'UNCOMPRESSED') mismatches.push(`${t}: codec ${codec}`);
      const file = new Map(schemaTree(f.schema).children.map((n) => [n.name, n]));
      const cols = glue.get(t)!.columns;
      for (const c of cols) {
        const n = file.get(c.Name);
        if (!n) {
          mismatches.push(`${t}.${c.Name}: Glue ${c.Type}, missing from the Parquet file (Athena would read NULL)`);
          continue;
        }
        const why = athenaReadsAs(n, c.Type);
        if (why) mismatches.push(`${t}.${c.Name}: Glue ${c.Type} ≠ Parquet ${render(n)} (${why})`);
      }
      for (const name of file.keys()) if (!cols.some((c) => c.Name === name)) mismatches.push(`${t}.${name}: in the Parquet file, not in the Glue table`);
    }
    expect(mismatches).toEqual([]);
    expect(rowsSeen).toBeGreaterThan(100); // real rows, not only empty files
  });

  test.each(['linux', 'windows'])('%s: 64-bit kernel addresses are stored as 0x + 16 hex digit strings (Athena has no unsigned BIGINT)', (osName) => {
    const bad: string[] = [];
    let high = 0;
    for (const t of tableNames) {
      for (const [col, vals] of Object.entries(info[osName]![t]!.values ?? {})) {
        for (const v of vals) {
          if (v === null) continue;
          if (typeof v !== 'string' || !ADDRESS.test(v)) bad.push(`${t}.${col} = ${JSON.stringify(v)}`);
          else if (BigInt(v) >= 1n << 63n) high++;
        }
      }
    }
    expect(bad.slice(0, 20)).toEqual([]);
    // kernel addresses (0xffff…) are above the signed BIGINT range: the case the string form exists for
    expect(high).toBeGreaterThan(0);
  });
});
