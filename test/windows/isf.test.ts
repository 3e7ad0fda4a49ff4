// ISF loader and the compact layout database: the committed database must be what the build script
// makes of the ISF files, and its facts must agree with values read independently from the real dump
// (KDBG's own EPROCESS/ETHREAD sizes and offsets, the README's RVAs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGES } from '../support/dumps';
import { readIsfFile, layoutFromIsf } from '../../lib/symbols/isf';
import { builtInLayouts, layoutCatalog, matchByGuid, matchByRvas } from '../../lib/symbols/windows/database';
import { MemqError } from '../../lib/util/errors';

const ISF_DIR = path.join(IMAGES, 'windows-triage', 'isf');
const GUID_19041 = '5278AFF86C341677D7D7835C85B7B844';

describe('compact layout database', () => {
  const db = builtInLayouts();

  test('holds the 9 ISF builds, one per GUID, x64', () => {
    const files = fs.readdirSync(ISF_DIR).filter((f) => f.endsWith('.json.xz'));
    expect(db.map((l) => `${l.guid}-${l.age}.json.xz`).sort()).toEqual(files.sort());
    for (const l of db) {
      expect(l.machine).toBe(0x8664);
      expect(l.pdb).toBe('ntkrnlmp.pdb');
    }
  });

  test('19041.804 layout agrees with the real dump KDBG (independent offsets)', () => {
    const exp = JSON.parse(fs.readFileSync(path.join(IMAGES, 'windows-triage', 'triage_x64.expected.json'), 'utf8'));
    const l = db.find((x) => x.guid === GUID_19041)!;
    expect(l.structs._EPROCESS.size).toBe(Number(exp.kdbg.SizeEProcess));
    expect(l.structs._ETHREAD.size).toBe(Number(exp.kdbg.SizeEThread));
    expect(l.structs._EPROCESS.fields.Peb.o).toBe(Number(exp.kdbg.OffsetEprocessPeb));
    expect(l.structs._EPROCESS.fields.InheritedFromUniqueProcessId.o).toBe(Number(exp.kdbg.OffsetEprocessParentCID));
    expect(l.structs._KPROCESS.fields.DirectoryTableBase.o).toBe(Number(exp.kdbg.OffsetEprocessDirectoryTableBase));
    expect(l.symbols.PsActiveProcessHead).toBe(0xc1e200);
    expect(l.symbols.PsLoadedModuleList).toBe(0xc2a390);
    expect(l.symbols.KdDebuggerDataBlock).toBe(0xc00b20);
  });

  test('RVA matching picks exactly one build; GUID matching is exact', () => {
    const m = matchByRvas(db, { PsActiveProcessHead: 0xc1e200, PsLoadedModuleList: 0xc2a390, KdDebuggerDataBlock: 0xc00b20 });
    expect(m?.layout.guid).toBe(GUID_19041);
    expect(matchByRvas(db, { PsActiveProcessHead: 0xc1e200, PsLoadedModuleList: 0x1234 })).toBeNull();
    expect(matchByRvas(db, { PsActiveProcessHead: 0xc1e200 })).toBeNull(); // one RVA is not enough
    expect(matchByGuid(db, GUID_19041.toLowerCase(), 1)?.label).toBe('10.0.19041.804');
    expect(matchByGuid(db, '00000000000000000000000000000000', 1)).toBeNull();
  });

  test('Win7 keeps the AVL-table VAD layout and 64-bit VPNs; Win10 the RTL_AVL_TREE one', () => {
    const w7 = db.find((l) => l.label.startsWith('6.1.7601'))!;
    expect(w7.structs._MM_AVL_TABLE).toBeDefined();
    expect(w7.structs._MMVAD_SHORT.fields.StartingVpn.s).toBe(8);
    expect(w7.structs._HANDLE_TABLE_ENTRY.fields.ObjectPointerBits).toBeUndefined();
    expect(w7.symbols.ObHeaderCookie).toBeUndefined();
    const w10 = db.find((l) => l.guid === GUID_19041)!;
    expect(w10.structs._MMVAD_SHORT.fields.StartingVpn.s).toBe(4);
    expect(w10.structs._MMVAD_FLAGS.fields.Protection).toEqual({ o: 0, s: 4, bp: 7, bl: 5 });
    expect(w10.structs._HANDLE_TABLE_ENTRY.fields.ObjectPointerBits).toEqual({ o: 0, s: 8, bp: 20, bl: 44 });
  });
});

describe('ISF files', () => {
  test('reading an .xz ISF gives the committed layout (build script is reproducible)', () => {
    const l = readIsfFile(path.join(ISF_DIR, `${GUID_19041}-1.json.xz`));
    const committed = builtInLayouts().find((x) => x.guid === GUID_19041)!;
    expect({ ...l, label: committed.label, source: committed.source }).toEqual(committed);
  });

  test('user ISF files join the catalog ahead of the built-in ones', () => {
    const cat = layoutCatalog([path.join(ISF_DIR, '32C1A669D5FFEFD41091F636CFDB6E99-1.json.xz')]);
    expect(cat).toHaveLength(10);
    expect(matchByGuid(cat, '32C1A669D5FFEFD41091F636CFDB6E99', 1)?.source).toBe('32C1A669D5FFEFD41091F636CFDB6E99-1.json.xz');
  });

  test('bad ISF input is a MemqError', () => {
    const tmp = path.join(fs.mkdtempSync('/tmp/memq-isf-'), 'bad.json');
    fs.writeFileSync(tmp, '{"metadata": {}}');
    expect(() => readIsfFile(tmp)).toThrow(MemqError);
    fs.writeFileSync(tmp, 'not json');
    expect(() => readIsfFile(tmp)).toThrow(/not valid JSON/);
    fs.writeFileSync(tmp, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]));
    expect(() => readIsfFile(tmp)).toThrow(/xz decompression failed/);
    expect(() => readIsfFile('/nonexistent/x.json')).toThrow(MemqError);
    expect(() => layoutFromIsf({}, 'x')).toThrow(/not a Windows ISF/);
  });
});
