// Minimal but well-formed PE/COFF image headers as the loader leaves them in memory.
// Layouts: Microsoft PE Format spec (learn.microsoft.com/windows/win32/debug/pe-format):
// IMAGE_DOS_HEADER (e_magic 'MZ', e_lfanew at 0x3C), IMAGE_NT_HEADERS64/32 ('PE\0\0', IMAGE_FILE_HEADER,
// IMAGE_OPTIONAL_HEADER64 magic 0x20B / 32 magic 0x10B with 16 data directories), IMAGE_SECTION_HEADER
// (40 bytes), IMAGE_DEBUG_DIRECTORY (28 bytes, Type 2 = CODEVIEW) and the CodeView CV_INFO_PDB70 record
// {'RSDS', GUID, Age, PDB file name}.

export interface PeSection {
  name: string;
  rva: number;
  size: number;
  characteristics: number;
}

export interface PeSpec {
  imageBase: bigint;
  sizeOfImage: number;
  timeDateStamp: number;
  entryRva: number;
  /** 1 native (kernel, drivers), 2 GUI, 3 console */
  subsystem: number;
  dll: boolean;
  pe32?: boolean;
  sections: PeSection[];
  /** CodeView record, placed at `rva` (must be inside a mapped page of the image) */
  codeView?: { guid: string; age: number; pdb: string; rva: number };
}

export interface PeImage {
  /** first page of the image (headers) */
  headers: Buffer;
  /** further blobs to place at image-relative RVAs */
  extra: { rva: number; data: Buffer }[];
}

/** GUID text (32 hex digits, as in ISF names) → on-disk GUID struct bytes (Data1..3 little-endian). */
export function guidBytes(hex32: string): Buffer {
  const h = hex32.replace(/[^0-9a-fA-F]/g, '');
  if (h.length !== 32) throw new Error(`bad GUID ${hex32}`);
  const b = Buffer.alloc(16);
  b.writeUInt32LE(parseInt(h.slice(0, 8), 16), 0);
  b.writeUInt16LE(parseInt(h.slice(8, 12), 16), 4);
  b.writeUInt16LE(parseInt(h.slice(12, 16), 16), 6);
  Buffer.from(h.slice(16), 'hex').copy(b, 8);
  return b;
}

export function buildPe(s: PeSpec): PeImage {
  const hdr = Buffer.alloc(0x1000);
  hdr.write('MZ', 0, 'latin1');
  hdr.writeUInt16LE(0x90, 2); // e_cblp
  hdr.writeUInt16LE(3, 4); // e_cp
  hdr.writeUInt16LE(4, 8); // e_cparhdr
  hdr.writeUInt16LE(0xffff, 0x0c); // e_maxalloc
  hdr.writeUInt16LE(0xb8, 0x10); // e_sp
  hdr.writeUInt16LE(0x40, 0x18); // e_lfarlc
  const lfanew = 0x100;
  hdr.writeUInt32LE(lfanew, 0x3c);
  hdr.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  hdr.write('PE\0\0', lfanew, 'latin1');
  const fh = lfanew + 4;
  const optSize = s.pe32 ? 0xe0 : 0xf0;
  hdr.writeUInt16LE(s.pe32 ? 0x14c : 0x8664, fh);
  hdr.writeUInt16LE(s.sections.length, fh + 2);
  hdr.writeUInt32LE(s.timeDateStamp >>> 0, fh + 4);
  hdr.writeUInt16LE(optSize, fh + 16);
  // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE (| DLL); 32-bit images: 32BIT_MACHINE
  hdr.writeUInt16LE(0x0002 | (s.pe32 ? 0x0100 : 0x0020) | (s.dll ? 0x2000 : 0), fh + 18);
  const oh = fh + 20;
  const codeSize = s.sections.filter((x) => x.characteristics & 0x20).reduce((a, x) => a + x.size, 0);
  hdr.writeUInt16LE(s.pe32 ? 0x10b : 0x20b, oh);
  hdr[oh + 2] = 14;
  hdr[oh + 3] = 20;
  hdr.writeUInt32LE(codeSize, oh + 4);
  hdr.writeUInt32LE(s.sizeOfImage - codeSize - 0x1000 > 0 ? s.sizeOfImage - codeSize - 0x1000 : 0, oh + 8);
  hdr.writeUInt32LE(s.entryRva, oh + 16);
  hdr.writeUInt32LE(0x1000, oh + 20); // BaseOfCode
  if (s.pe32) hdr.writeUInt32LE(Number(s.imageBase & 0xffffffffn), oh + 28);
  else hdr.writeBigUInt64LE(s.imageBase, oh + 24);
  hdr.writeUInt32LE(0x1000, oh + 32); // SectionAlignment
  hdr.writeUInt32LE(0x200, oh + 36); // FileAlignment
  hdr.writeUInt16LE(10, oh + 40); // MajorOperatingSystemVersion
  hdr.writeUInt16LE(10, oh + 44); // MajorImageVersion
  hdr.writeUInt16LE(s.subsystem === 1 ? 10 : 6, oh + 48); // MajorSubsystemVersion
  hdr.writeUInt32LE(s.sizeOfImage, oh + 56);
  hdr.writeUInt32LE(0x600, oh + 60); // SizeOfHeaders
  hdr.writeUInt32LE(0x00a0_0000 ^ s.timeDateStamp, oh + 64); // CheckSum (any plausible value)
  hdr.writeUInt16LE(s.subsystem, oh + 68);
  hdr.writeUInt16LE(0x4160, oh + 70); // HIGH_ENTROPY_VA | DYNAMIC_BASE | NX_COMPAT | GUARD_CF
  const ddir = s.pe32 ? oh + 96 : oh + 112;
  hdr.writeUInt32LE(16, ddir - 4); // NumberOfRvaAndSizes
  const extra: { rva: number; data: Buffer }[] = [];
  if (s.codeView) {
    const cv = Buffer.alloc(24 + s.codeView.pdb.length + 1);
    cv.write('RSDS', 0, 'latin1');
    guidBytes(s.codeView.guid).copy(cv, 4);
    cv.writeUInt32LE(s.codeView.age, 20);
    cv.write(s.codeView.pdb, 24, 'latin1');
    const dbg = Buffer.alloc(28);
    dbg.writeUInt32LE(s.timeDateStamp >>> 0, 4);
    dbg.writeUInt32LE(2, 12); // IMAGE_DEBUG_TYPE_CODEVIEW
    dbg.writeUInt32LE(cv.length, 16);
    dbg.writeUInt32LE(s.codeView.rva + 28, 20); // AddressOfRawData
    dbg.writeUInt32LE(s.codeView.rva + 28, 24); // PointerToRawData (file == memory layout here)
    hdr.writeUInt32LE(s.codeView.rva, ddir + 6 * 8);
    hdr.writeUInt32LE(28, ddir + 6 * 8 + 4);
    extra.push({ rva: s.codeView.rva, data: Buffer.concat([dbg, cv]) });
  }
  let sh = oh + optSize;
  for (const sec of s.sections) {
    hdr.write(sec.name.slice(0, 8), sh, 'latin1');
    hdr.writeUInt32LE(sec.size, sh + 8);
    hdr.writeUInt32LE(sec.rva, sh + 12);
    hdr.writeUInt32LE(sec.size, sh + 16);
    hdr.writeUInt32LE(sec.rva, sh + 20);
    hdr.writeUInt32LE(sec.characteristics >>> 0, sh + 36);
    sh += 40;
  }
  return { headers: hdr, extra };
}

export const SEC_TEXT = 0x60000020; // CODE | EXECUTE | READ
export const SEC_RDATA = 0x40000040; // INITIALIZED_DATA | READ
export const SEC_DATA = 0xc0000040; // INITIALIZED_DATA | READ | WRITE

/** Ordinary three-section layout for an image of `size` bytes. */
export function defaultSections(size: number): PeSection[] {
  const text = Math.max(0x1000, Math.floor((size * 0.55) / 0x1000) * 0x1000);
  const rdata = Math.max(0x1000, Math.floor((size * 0.25) / 0x1000) * 0x1000);
  const data = size - 0x1000 - text - rdata;
  const s: PeSection[] = [
    { name: '.text', rva: 0x1000, size: text, characteristics: SEC_TEXT },
    { name: '.rdata', rva: 0x1000 + text, size: rdata, characteristics: SEC_RDATA },
  ];
  if (data > 0) s.push({ name: '.data', rva: 0x1000 + text + rdata, size: data, characteristics: SEC_DATA });
  return s;
}
