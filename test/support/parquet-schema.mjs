// Reads Parquet footers (and, on request, column values) with hyparquet — a pure-JS reader that shares
// no code with DuckDB — and prints them as JSON. Run as a child process because hyparquet is ESM-only
// and jest runs tests as CommonJS.
//   node test/support/parquet-schema.mjs '{"files":["a.parquet"],"values":{"a.parquet":["col"]}}'
import * as fs from 'node:fs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { decompress } from 'fzstd';

const req = JSON.parse(process.argv[2]);
const compressors = { ZSTD: (input) => decompress(input) };
const json = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
const out = {};
for (const f of req.files) {
  const buf = fs.readFileSync(f);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(ab);
  const entry = {
    created_by: md.created_by ?? null,
    num_rows: Number(md.num_rows),
    schema: md.schema,
    codecs: [...new Set(md.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))],
  };
  const cols = req.values?.[f];
  if (cols?.length && entry.num_rows > 0) {
    const rows = await parquetReadObjects({ file: ab, columns: cols, compressors });
    entry.values = Object.fromEntries(cols.map((c) => [c, rows.map((r) => r[c])]));
  }
  out[f] = entry;
}
process.stdout.write(json(out));
