// Indicator scanner on synthetic memory: known strings planted at known offsets in binary noise, at
// window boundaries and as UTF-16LE; plus look-alikes (library names, versions, times) that must not hit.
import { scanIndicators, MAX_INDICATOR_LENGTH } from '../../lib/os/common/indicators';

/** Deterministic noise without printable ASCII (bytes 0x00-0x1f and 0x80-0xff), so plants are the only text. */
function noise(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const v = (x >>> 0) & 0xff;
    b[i] = v < 0x80 ? v & 0x1f : v;
  }
  return b;
}

function plant(buf: Buffer, offset: number, text: string, enc: 'latin1' | 'utf16le' = 'latin1'): void {
  // NUL-terminate like C strings so the neighbouring noise byte never extends the token
  buf.write(text + '\0', offset, enc);
}

const BASE = 0x7f0000000000n;

describe('scanIndicators', () => {
  test('finds planted IPv4, IPv6, domains and URLs at their exact addresses', () => {
    const buf = noise(3 << 20);
    const plants: [number, string][] = [
      [100, 'stratum+tcp://10.9.8.7:3333'],
      [5000, 'connect to 192.168.1.20 now'],
      [9000, 'GET http://evil.example.com/payload.bin?x=1 HTTP/1.1'],
      [20000, 'fe80::1ff:fe23:4567:890a'],
      [30000, 'beacon.badguy.ru'],
      [(1 << 20) - 6, '172.16.254.1'], // straddles the first 1 MiB window boundary
      [(2 << 20) - 10, 'https://c2.example.net/x'], // straddles the second
    ];
    for (const [o, t] of plants) plant(buf, o, t);
    const hits = scanIndicators(buf, BASE);
    const got = hits.map((h) => `${h.kind} ${h.value} @${h.address - BASE}`).sort();
    const want = [
      'url stratum+tcp://10.9.8.7:3333 @100',
      'ipv4 10.9.8.7 @114',
      'ipv4 192.168.1.20 @5011',
      'url http://evil.example.com/payload.bin?x=1 @9004',
      'domain evil.example.com @9011',
      'ipv6 fe80::1ff:fe23:4567:890a @20000',
      'domain beacon.badguy.ru @30000',
      `ipv4 172.16.254.1 @${(1 << 20) - 6}`,
      `url https://c2.example.net/x @${(2 << 20) - 10}`,
      `domain c2.example.net @${(2 << 20) - 10 + 8}`,
    ].sort();
    expect(got).toEqual(want);
    for (const h of hits) expect(h.encoding).toBe('ascii');
  });

  test('ignores look-alikes: library names, versions, times, C++ scopes, file names', () => {
    const buf = noise(64 << 10, 7);
    const decoys = [
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      'version 1.2.3.4.5 of the thing',
      'v10.9.8.7',
      '12:34:56',
      'std::vector<int>',
      'main.py config.sh README.md',
      '999.1.1.1',
      'a::b',
    ];
    let o = 64;
    for (const d of decoys) {
      plant(buf, o, d);
      o += 256;
    }
    expect(scanIndicators(buf, 0n)).toEqual([]);
  });

  test('UTF-16LE strings are found only with wide: true, at both byte alignments', () => {
    const buf = noise(256 << 10, 3);
    plant(buf, 1000, 'http://wide.example.org/a', 'utf16le');
    plant(buf, 4001, '8.8.4.4', 'utf16le');
    expect(scanIndicators(buf, BASE)).toEqual([]);
    const hits = scanIndicators(buf, BASE, { wide: true }).map((h) => `${h.kind} ${h.value} @${h.offset} ${h.encoding}`);
    expect(hits.sort()).toEqual(
      ['url http://wide.example.org/a @1000 utf16le', 'domain wide.example.org @1014 utf16le', 'ipv4 8.8.4.4 @4001 utf16le'].sort(),
    );
  });

  test('caps the number of hits and the length of a match', () => {
    const buf = noise(1 << 20, 5);
    for (let i = 0; i < 2000; i++) plant(buf, i * 400, `10.0.${i >> 8}.${i & 0xff}`);
    expect(scanIndicators(buf, 0n, { maxHits: 50 })).toHaveLength(50);
    expect(scanIndicators(buf, 0n, { kinds: ['domain'] })).toHaveLength(0);

    const long = Buffer.alloc(4096, 0);
    long.write('http://x.example.com/' + 'a'.repeat(3000));
    const [h] = scanIndicators(long, 0n, { kinds: ['url'] });
    expect(h.value.length).toBeLessThanOrEqual(MAX_INDICATOR_LENGTH);
    expect(h.value.startsWith('http://x.example.com/aaa')).toBe(true);
  });

  test('finds every planted URL in 64 MiB of noise', () => {
    const buf = noise(64 << 20, 11);
    for (let i = 0; i < 100; i++) plant(buf, i * 600_000 + 17, `https://h${i}.example.com/p`);
    const hits = scanIndicators(buf, 0n);
    expect(hits.filter((h) => h.kind === 'url')).toHaveLength(100);
  });
});
