// IOC classification and the boundary rules of each kind's pattern (the same pattern filters rows in
// DuckDB/Athena SQL and attributes hits in JS).
import { classifyIoc, combinedPattern, iocRegExp } from '../../lib/ioc/classify';
import { isMemqError } from '../../lib/util/errors';

const kind = (v: string) => classifyIoc(v).kind;
const hits = (ioc: string, text: string) => iocRegExp(classifyIoc(ioc)).test(text);

describe('classifyIoc', () => {
  test('recognizes each kind', () => {
    expect(kind('10.9.8.7')).toBe('ipv4');
    expect(kind('fe80::1ff:fe23:4567:890a')).toBe('ipv6');
    expect(kind('::1')).toBe('ipv6');
    expect(kind('evil.example.com')).toBe('domain');
    expect(kind('stratum+tcp://10.9.8.7:3333')).toBe('url');
    expect(kind('https://cdn.badguy.ru/x')).toBe('url');
    expect(kind('d41d8cd98f00b204e9800998ecf8427e')).toBe('md5');
    expect(kind('da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBe('sha1');
    expect(kind('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855')).toBe('sha256');
    expect(kind('/tmp/.hidden/evil-miner')).toBe('path');
    expect(kind('C:\\Users\\Public\\svchost.exe')).toBe('path');
    expect(kind('evil-miner')).toBe('process_name');
    expect(kind('powershell.exe')).toBe('process_name');
    expect(kind('[kworker/0:9]')).toBe('path'); // has a slash: matched as text inside paths and names
    expect(kind('sekurlsa logonpasswords')).toBe('text');
  });

  test('a kind: prefix overrides detection', () => {
    expect(kind('domain:update.exe')).toBe('domain');
    expect(kind('name:update.com')).toBe('process_name');
    expect(kind('ip:::1')).toBe('ipv6');
    expect(() => classifyIoc('ip:10.9.8')).toThrow(/not an IPv4 address/);
    expect(() => classifyIoc('md5:abc')).toThrow(/32 hex digits/);
  });

  test('rejects empty and oversized values with a MemqError', () => {
    for (const v of ['', '   ', 'x'.repeat(5000)]) {
      try {
        classifyIoc(v);
        throw new Error('accepted ' + JSON.stringify(v.slice(0, 10)));
      } catch (e) {
        expect(isMemqError(e)).toBe(true);
      }
    }
  });
});

describe('match boundaries', () => {
  test('IPv4 matches the address, not a longer dotted number', () => {
    expect(hits('10.9.8.7', 'stratum+tcp://10.9.8.7:3333')).toBe(true);
    expect(hits('10.9.8.7', '10.9.8.7')).toBe(true);
    expect(hits('10.9.8.7', 'ip 10.9.8.7.')).toBe(true);
    expect(hits('10.9.8.7', '110.9.8.7')).toBe(false);
    expect(hits('10.9.8.7', '10.9.8.70')).toBe(false);
    expect(hits('10.9.8.7', '10.9.8.7.5')).toBe(false);
  });

  test('domains match themselves and subdomains, not longer labels', () => {
    expect(hits('badguy.ru', 'cdn.badguy.ru')).toBe(true);
    expect(hits('badguy.ru', 'https://cdn.badguy.ru/stage2.ps1')).toBe(true);
    expect(hits('BadGuy.RU', 'badguy.ru')).toBe(true);
    expect(hits('badguy.ru', 'notbadguy.ru')).toBe(false);
    expect(hits('badguy.ru', 'badguy.ru.example.com')).toBe(false);
    expect(hits('guy.ru', 'cdn.badguy.ru')).toBe(false);
  });

  test('hashes are case-insensitive and whole', () => {
    const h = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(hits(h.toUpperCase(), `sha256=${h}`)).toBe(true);
    expect(hits(h, `${h}00`)).toBe(false);
  });

  test('POSIX paths are case-sensitive prefixes; Windows paths are case-insensitive', () => {
    expect(hits('/tmp/.hidden', '/tmp/.hidden/evil-miner')).toBe(true);
    expect(hits('/tmp/.hidden', 'cd /tmp/.hidden')).toBe(true);
    expect(hits('/tmp/.hidden', '/var/tmp/.hidden')).toBe(false);
    expect(hits('/tmp/.hidden', '/TMP/.HIDDEN')).toBe(false);
    expect(hits('C:\\Users\\Public', 'c:\\users\\public\\svchost.exe')).toBe(true);
  });

  test('Windows paths match across \\SystemRoot\\, C:\\Windows, \\??\\C: and \\Device\\HarddiskVolumeN\\ spellings (#14)', () => {
    const tcpip = 'C:\\Windows\\System32\\drivers\\tcpip.sys';
    for (const spelled of [
      '\\SystemRoot\\System32\\drivers\\tcpip.sys',
      '%SystemRoot%\\system32\\drivers\\tcpip.sys',
      '\\Device\\HarddiskVolume3\\Windows\\System32\\drivers\\tcpip.sys',
      '\\??\\C:\\Windows\\system32\\drivers\\tcpip.sys',
      'c:\\windows\\system32\\DRIVERS\\tcpip.sys',
    ]) {
      expect(hits(tcpip, spelled)).toBe(true);
      expect(hits(spelled, tcpip)).toBe(true);
      // the SQL pre-filter finds it too
      expect(new RegExp(combinedPattern([classifyIoc(tcpip)]).replace('(?i)', ''), 'i').test(spelled)).toBe(true);
    }
    expect(hits(tcpip, 'C:\\Other\\System32\\drivers\\tcpip.sys')).toBe(false);
    expect(hits('C:\\Users\\Public', '\\Device\\HarddiskVolume2\\Users\\Public\\x.exe')).toBe(true);
    expect(hits('C:\\Users\\Public', '\\SystemRoot\\Users\\Public\\x.exe')).toBe(false);
  });

  test('long tokens that are not executable names are text, not process names (#14)', () => {
    const wallet = '4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge';
    expect(kind(wallet)).toBe('text');
    expect(hits(wallet, `--user ${wallet}.worker1`)).toBe(true);
    expect(kind('evil-miner')).toBe('process_name');
    expect(kind('a-very-long-but-plausible-service-host.exe')).toBe('process_name');
  });

  test('process names match a whole name, a path tail or a command-line word', () => {
    expect(hits('evil-miner', 'evil-miner')).toBe(true);
    expect(hits('evil-miner', '/tmp/.hidden/evil-miner')).toBe(true);
    expect(hits('evil-miner', 'ps | grep evil-miner')).toBe(true);
    expect(hits('evil-miner', 'evil-miner2')).toBe(false);
    expect(hits('evil-miner', 'not-evil-miner')).toBe(false);
    expect(hits('SVCHOST.EXE', 'C:\\Windows\\system32\\svchost.exe -k netsvcs')).toBe(true);
  });

  test('the SQL pre-filter is a case-insensitive literal alternation matching a superset of each IOC', () => {
    const iocs = ['/tmp/x', 'Evil.com', '10.9.8.7'].map(classifyIoc);
    const p = combinedPattern(iocs);
    expect(p).toBe('(?i)(?:/tmp/x|evil\\.com|10\\.9\\.8\\.7)');
    // JS has no inline (?i): check the superset property with the flag instead
    const pre = new RegExp(p.slice(4), 'i');
    for (const t of ['/tmp/x/y', '/TMP/X', 'cdn.evil.com', '110.9.8.70', 'x 10.9.8.7']) expect(pre.test(t)).toBe(true);
    for (const t of ['/tmp/x/y', 'cdn.evil.com', 'x 10.9.8.7']) expect(iocs.some((i) => iocRegExp(i).test(t))).toBe(true);
    for (const t of ['/TMP/X', '110.9.8.70']) expect(iocs.some((i) => iocRegExp(i).test(t))).toBe(false);
  });
});
