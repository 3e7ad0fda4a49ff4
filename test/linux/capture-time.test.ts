// When the dump was taken, read from the dump: on Linux the timekeeper's wall clock (xtime_sec), on
// Windows the crash-dump header's SystemTime. Checked against what the guests recorded: the Linux
// capture ran `uptime_at_capture` seconds after boot, a few seconds before the VM was stopped, and
// after every shell command the host typed (their timestamps are in the ground truth); the Windows
// header's SystemTime was read independently into triage_x64.expected.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import { capturedAt } from '../../lib/store/analyze';
import { IMAGES } from '../support/dumps';

jest.setTimeout(120_000);

const linux = ['linux-dev', 'linux-dev-6.12', 'linux-dev-arm64', 'linux-dev-rootkit'];

test.each(linux)('%s: capture time after boot by the uptime the guest saw (plus the seconds to the stop), after the last typed command', async (dir) => {
  const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, dir, 'ground-truth.json'), 'utf8'));
  const eng = await openDump(path.join(IMAGES, dir, 'memory.kdump'));
  try {
    const info = eng.info();
    const captured = capturedAt(info);
    expect(captured).not.toBeNull();
    const boot = Date.parse(String(info.boot_time));
    const uptime = Number(String(gt.kernel.uptime_at_capture).split(' ')[0]);
    const sinceBoot = (Date.parse(captured!) - boot) / 1000;
    // xtime_sec has whole seconds; the guest stopped within a minute of its capture
    expect(sinceBoot).toBeGreaterThanOrEqual(uptime - 1);
    expect(sinceBoot).toBeLessThan(uptime + 60);
    const typed = (gt.shell_history?.entries ?? []).map((e: { timestamp: number }) => e.timestamp);
    if (typed.length) expect(Date.parse(captured!) / 1000).toBeGreaterThanOrEqual(Math.max(...typed));
  } finally {
    eng.mem.close();
  }
});

test('Windows: the capture time is the dump header SystemTime read independently', async () => {
  const expected = JSON.parse(fs.readFileSync(path.join(IMAGES, 'windows-triage', 'triage_x64.expected.json'), 'utf8'));
  const ft = BigInt(expected.dump_header64.SystemTime);
  const eng = await openDump(path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'));
  try {
    const want = new Date(Number(ft / 10000n) - 11644473600000).toISOString();
    expect(capturedAt(eng.info())).toBe(want);
  } finally {
    eng.mem.close();
  }
});

test('an unknown capture time is null, not a made-up date', () => {
  expect(capturedAt({ capture_time: 'unknown' })).toBeNull();
  expect(capturedAt({})).toBeNull();
});
