// Build-time generator of the compact Windows layout database (layouts.generated.json): reads every
// Volatility ISF file of ntkrnlmp.pdb in a folder and keeps only what memq reads (lib/symbols/isf.ts
// WANTED_*). Run: `npm run build:windows-layouts [-- <isf-dir>]` (default ../shared/images/windows-triage/isf).
// The generated file is committed so the product never needs the multi-megabyte ISF files at run time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readIsfFile, type BuildLayout } from '../isf';

/** Marketing build numbers of the PDB GUIDs we ship (from the ISF source's folder README). */
const LABELS: Record<string, string> = {
  '5278AFF86C341677D7D7835C85B7B844': '10.0.19041.804',
  '3177D31000BA7590DED335936C93E374': '10.0.19041.1415',
  '11BC9A513F1140CA359ECDF50F0122C1': '10.0.18362.295',
  '8B11040A5928757B11390AC78F6B6925': '10.0.17763.379',
  '517E128F7B7C4EA79491DE6B9B9CE190': '10.0.14393.4583',
  'C2EADB24A615E9472CE47C8ADD31F130': '10.0.20348.288',
  '32C1A669D5FFEFD41091F636CFDB6E99': '10.0.22000.318',
  '22597D0B40394E23936F6A24C6C52D5B': '6.3.9600.19913',
  '339E74133576439CBCDF7E0229DA3773': '6.1.7601.24540',
};

export function buildLayouts(dir: string): BuildLayout[] {
  const files = fs.readdirSync(dir).filter((f) => /\.json(\.xz)?$/.test(f)).sort();
  return files.map((f) => {
    const l = readIsfFile(path.join(dir, f));
    l.label = LABELS[l.guid] ?? '';
    l.source = `ISF ${f}`;
    return l;
  });
}

if (require.main === module) {
  const dir = process.argv[2] ?? path.resolve(__dirname, '../../../../shared/images/windows-triage/isf');
  const layouts = buildLayouts(dir);
  const out = path.join(__dirname, 'layouts.generated.json');
  fs.writeFileSync(out, JSON.stringify({ generatedFrom: 'JPCERTCC/Windows-Symbol-Tables ntkrnlmp.pdb ISF (BSD-3-Clause)', builds: layouts }) + '\n');
  process.stdout.write(`${out}: ${layouts.length} builds (${layouts.map((l) => l.label || l.guid).join(', ')})\n`);
}
