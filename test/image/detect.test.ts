// Format detection is by content, never by file name; gzip/xz wrappers are unwrapped by magic.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { openDumpFile } from '../../lib/image/open';
import { registeredFormats } from '../../lib/image/detect';
import { MemqError } from '../../lib/util/errors';
import { noise, patternAt } from './gen/bytes';
import { makeAvml, makeLime } from './gen/lime';
import { makeElfCore } from './gen/elf';
import { flatten, makeKdump } from './gen/kdump';
import { mismatch, openBuffer, read } from './helpers';

const P = 4096;
const lime = makeLime([{ start: 0x1000, data: patternAt(0x1000, 2 * P) }]);
const elf = makeElfCore([{ paddr: 0x1000, data: patternAt(0x1000, 2 * P) }]);
const kdump = makeKdump([{ pfn: 1, data: patternAt(P, P) }], { maxMapnr: 64 });

/** xz -9 of makeLime([{ start: 0x1000, data: patternAt(0x1000, 8192) }]), made with the xz CLI */
const LIME_XZ = '/Td6WFoAAATm1rRGAgAhARwAAAAQz1jM4CAfAtRdACKTSY6g2HsV8M0dnVs8dq0q6GXzNjtmxOrjbjDDj9FKRf/fAdoJqTD1WtazQboBEgNnO8SdrRypWmHkva4z1OX7zZpcKBBNkVP4j49vMC3bjvIpqbL2MBu5anx/E2aJVIXvFf80JOsD2NUe6CvH11J00V7VJAn5N0Ug6IyJARtqkFHLFWscwoFMILz4sghu3YZx8ZYnpu5zJCDBA90ZTwI6ZCsUJrl/VXymJAbQxIhlPaw6pg/lp18oXmG7MGhjTszoWrafU/BPVOo2K8aveo4c0F6kEErZwiN6GWV5k5+iqIDcx+WNAK2RblHOLz1z+AIlZNWjHFnlllXyK6Hs50YrZw6FBFlaQQ8M+NUrAFk9WgYr+XLZA2Ei6plkACjsk8vn84ycGV28yS8/1UQ5woSCKSDD+YKe5uqjQlnPUK30BX4in/b4mPeXTzhKbi1p9dVW6CihhT6lesJ8drw8+Dmyn43xT31dxkdbST1+VPL4hV83k319UNsEfEIMbYjpboxMay0dJu+2dUdXFdLnitOGn1qvk4vp46iUG5IIc9KBINjnrD6i4eJ5quAiHftTbYzqz2DSQDloRlxptf44WOczvVDQ/HISTY40gUqBlTwP5vcJFfKX9EK1p/qd/AOYStTpL9Ktci0LlEy/+TwwOzurhuO/NHz8IiNkW52J5t26QmN//JrernrXg58NNL+4f+7Mmd7flmNzZayFhj0UhZDbIwg7liKwWDp3lDCx475m4E4SpIf36pGq2F3/cToUGYKXr4NBlaUwzSfB/Dngqb6nqmi9jvRhLtzsjSvGFZmP4XcUPuIfx/JNrFKIVC9x9ePQVLKe7gm1PKJ8MVY20CUaId2W9rYhaaU8kgR0/s1ZYMrlizypJvpodzHpGKKh3Kga1ys1s5mF1bZ5Kj2HHTm6mKPfEuQsFdGmElmC/ZgjdbFg5ypLdcEW37vzjhoa9ChBnTcAATSICoPC3ssAAfAFoEAAAHHW1iOxxGf7AgAAAAAEWVo=';

describe('detection by content', () => {
  test('the format probes are registered', () => {
    expect(registeredFormats().map((p) => p.id)).toEqual(expect.arrayContaining(['lime', 'elf', 'kdump']));
  });
  test.each([
    ['LiME named .raw', lime, 'memory.raw', 'lime'],
    ['AVML named .elf', makeAvml([{ start: 0, data: patternAt(0, P) }]), 'memory.elf', 'avml'],
    ['ELF named .lime', elf, 'memory.lime', 'elf'],
    ['kdump named .vmem', kdump, 'memory.vmem', 'kdump'],
    ['flattened kdump named .kdump.gz', flatten(kdump), 'memory.kdump.gz', 'kdump'],
    ['page-aligned unknown bytes named .lime → raw', Buffer.concat([noise('raw', 1 << 20)]), 'x.lime', 'raw'],
  ])('%s', (_n, buf, name, format) => {
    expect(openBuffer(buf, name).format).toBe(format);
  });
  test('unknown content that cannot be raw is rejected with the list of expected formats', () => {
    expect(() => openBuffer(noise('x', 1000), 'x.lime')).toThrow(/unrecognized format — not .*LiME .*ELF core.*kdump.*size 1000 is under 1 MiB/);
    expect(() => openBuffer(Buffer.alloc(0), 'empty.raw')).toThrow(MemqError);
  });
});

describe('gzip / xz wrapped dumps', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-detect-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('gzip-wrapped LiME named .raw opens as LiME', async () => {
    const f = path.join(dir, 'dump.raw');
    fs.writeFileSync(f, zlib.gzipSync(lime));
    const mem = await openDumpFile(f, { cacheDir: path.join(dir, 'cache') });
    expect(mem.format).toBe('lime');
    expect(mismatch(read(mem, 0x1000, 2 * P), patternAt(0x1000, 2 * P))).toBeNull();
    mem.close();
  });
  test('xz-wrapped LiME (reference xz encoder) opens as LiME', async () => {
    const f = path.join(dir, 'dump.bin');
    fs.writeFileSync(f, Buffer.from(LIME_XZ, 'base64'));
    const mem = await openDumpFile(f, { cacheDir: path.join(dir, 'cache') });
    expect(mem.format).toBe('lime');
    expect(mismatch(read(mem, 0x1000, 2 * P), patternAt(0x1000, 2 * P))).toBeNull();
    mem.close();
  });
  test.each([
    ['truncated', (b: Buffer) => b.subarray(0, 200)],
    ['corrupted in the middle', (b: Buffer) => Buffer.from(b).fill(0x41, 100, 300)],
  ])('an xz wrapper %s is a clear error, not a crash or hang', async (name, damage) => {
    const f = path.join(dir, `bad-${name.replace(/ /g, '-')}.xz`);
    fs.writeFileSync(f, damage(Buffer.from(LIME_XZ, 'base64')));
    await expect(openDumpFile(f, { cacheDir: path.join(dir, 'cache') })).rejects.toThrow(/xz decompression failed/);
    expect(fs.readdirSync(path.join(dir, 'cache')).filter((n) => n.includes('partial'))).toEqual([]);
  });
  test('a corrupt gzip wrapper is a clear error', async () => {
    const f = path.join(dir, 'bad.gz');
    fs.writeFileSync(f, zlib.gzipSync(lime).subarray(0, 60));
    await expect(openDumpFile(f, { cacheDir: path.join(dir, 'cache') })).rejects.toThrow(/gzip decompression failed/);
  });
});
