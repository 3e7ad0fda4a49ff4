// `memq yara` and `memq dump` as a user runs them (child processes through bin/memq.js) on the
// rootkit-dev kdumps of both kernels (6.1 shipped, 6.12 generated: test/support/rootkit-images.ts):
// JSON rows of the keylogger match at the buffer the test kit printed, a broken rule file is one line
// with its line and column and exit 1 before the dump is read, and `memq dump` writes the hidden
// page-cache file and a manifest.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rootkitImage, rootkitKernels, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitImage, type RootkitKernel } from '../support/rootkit-images';

jest.setTimeout(600_000);

const BIN = path.resolve(__dirname, '../../bin/memq.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' } });
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-evidence-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(rootkitKernels)('rootkit-dev %s', (kernel: RootkitKernel) => {
  let img: RootkitImage;
  beforeAll(async () => {
    img = await rootkitImage(kernel);
  }, ROOTKIT_IMAGE_TIMEOUT_MS);

  test('memq yara --format json: the keylogger buffer in the hidden module; --pid scans only that process', () => {
    const gt = img.groundTruth;
    fs.mkdirSync(path.join(tmp, kernel));
    const rules = path.join(tmp, kernel, 'rk.yar');
    fs.writeFileSync(rules, 'rule keylog { strings: $k = "memqdevkeylog42" condition: $k }\nrule heap { strings: $h = "MEMQ-HEAP:" condition: $h }\n');
    const r = run('yara', img.kdump, '--rules', rules, '--format', 'json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    // the buffer address the test kit printed (6.1 truth: keylog_addr, 6.12: keylog_buffer); keys from index 1
    const hook = (gt.rootkit.hooks as { type: string; keylog_addr?: string; keylog_buffer?: string }[]).find((h) => h.type === 'keyboard_notifier')!;
    const buffer = BigInt((hook.keylog_addr ?? hook.keylog_buffer)!);
    expect(rows.filter((x) => x.rule === 'keylog').map((x) => [x.namespace, x.scope, x.module_name, x.address])).toEqual([
      ['rk', 'module', gt.rootkit.module.name, `0x${(buffer + 1n).toString(16).padStart(16, '0')}`],
    ]);
    const miner = run('yara', img.kdump, '--rules', rules, '--pid', String(gt.roles.evil_miner), '--format', 'json');
    const mrows = JSON.parse(miner.stdout) as Record<string, unknown>[];
    expect(mrows.length).toBeGreaterThan(0);
    expect(new Set(mrows.map((x) => `${x.scope}:${x.process_id}`))).toEqual(new Set([`process:${gt.roles.evil_miner}`]));
  });

  test('memq dump --file: the hidden loot.txt at the size the guest stat printed, and a manifest with its sha256', () => {
    const stat = (img.groundTruth.rootkit.raw as Record<string, string>).hidden_paths_stat.split('\n').find((l) => l.endsWith(' /var/tmp/.memq-rk-dev/loot.txt'))!;
    const out = path.join(tmp, `ev-${kernel}`);
    const r = run('dump', img.kdump, '--out', out, '--file', '/var/tmp/.memq-rk-dev/loot.txt');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^1 exports written to /);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const body = fs.readFileSync(path.join(out, 'page-cache/var/tmp/.memq-rk-dev/loot.txt'));
    expect(body.length).toBe(Number(stat.trim().split(/\s+/)[4]));
    expect(m.items.map((i: { path: string; sha256: string; size: number }) => [i.path, i.sha256, i.size])).toEqual([
      ['page-cache/var/tmp/.memq-rk-dev/loot.txt', crypto.createHash('sha256').update(body).digest('hex'), body.length],
    ]);
    // again into the same directory: refused, nothing overwritten
    const again = run('dump', img.kdump, '--out', out, '--file', '/var/tmp/.memq-rk-dev/loot.txt');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
  });
});

test('memq yara with a broken rule file: one line naming file, line and column; exit 1', () => {
  const bad = path.join(tmp, 'bad.yar');
  fs.writeFileSync(bad, 'rule ok { condition: true }\nrule bad {\n  strings: $a = "x"\n  condition: $a and $b\n}\n');
  const r = run('yara', '/nonexistent-dump-never-opened', '--rules', bad);
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe(`memq: YARA rules ${bad}: line 4, column 21: unknown pattern \`$b\` (this pattern is not declared in the \`strings\` section)`);
});
