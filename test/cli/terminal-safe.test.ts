// #13 item 13: a process name from the dump is attacker-controlled. `memq ps` (table output) must show
// escape sequences as text, so a name like "\x1b[2K\r" cannot erase or recolour rows; JSON stays exact.
import { render, terminalSafe } from '../../lib/cli/output';

const rows = [
  { process_id: 1, name: 'systemd' },
  { process_id: 666, name: '\x1b[2K\x1b[1A\rhidden' },
  { process_id: 667, name: '\x1b[31mred\x1b[0m' },
  { process_id: 668, name: 'bidi\u202egnp.exe' },
  { process_id: 669, name: 'two\nlines\x9b' },
];

test('table output writes control characters as visible escapes; no raw ESC, CR, newline or bidi override', () => {
  const out = render(rows, ['process_id', 'name'], 'table');
  expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
  const lines = out.trimEnd().split('\n');
  expect(lines).toHaveLength(2 + rows.length); // a name cannot add a row
  expect(lines[3]).toBe('666         \\x1b[2K\\x1b[1A\\rhidden');
  expect(lines[4]).toContain('\\x1b[31mred\\x1b[0m');
  expect(lines[5]).toContain('bidi\\u202egnp.exe');
  expect(lines[6]).toContain('two\\nlines\\x9b');
});

test('json and jsonl stay exact', () => {
  expect(JSON.parse(render(rows, ['process_id', 'name'], 'json'))[1].name).toBe('\x1b[2K\x1b[1A\rhidden');
  expect(JSON.parse(render(rows, ['process_id', 'name'], 'jsonl').split('\n')[2]!).name).toBe('\x1b[31mred\x1b[0m');
});

test('multi-line reports keep their own newlines and escape the rest; ordinary text is untouched', () => {
  expect(terminalSafe('a\x1b]0;pwned\x07\nb', true)).toBe('a\\x1b]0;pwned\\x07\nb');
  expect(terminalSafe('/usr/sbin/agetty -o -p -- \\u')).toBe('/usr/sbin/agetty -o -p -- \\u');
  expect(terminalSafe('C:\\Windows\\süß 名前')).toBe('C:\\Windows\\süß 名前');
});
