// memq side by side with Volatility 3 on the same dumps, in one run: the process list (`memq ps` vs
// `vol linux.pslist`) and everything (`memq analyze`: every table + Parquet, vs Volatility's 12 Linux
// plugins run one by one). Volatility is whatever is installed: `vol` on PATH, or VOL=path/to/vol.py
// (run with python3); VOL_ARGS adds arguments (e.g. "-s /path/to/symbols" for the kernel's ISF).
// Without one, memq's side is printed and the comparison is skipped with one line.
// Dumps: MEMQ_COMPARE_DUMPS (comma-separated paths) or the dev dumps (ELF core and kdump); plus the
// rootkit-dev dump written flat (MEMQ_COMPARE_ROOTKIT: an existing raw of it) for the #16 questions.
// memq is measured warm (the discovery cache holds the dump: every command after the first) and cold
// (first command on the dump). `npm run bench -- compare`. Prints; asserts nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { materialize, openDumpFile } from '../lib/image/open';
import { freshCache, IMAGES, memq, repeat, s, table } from './support/memq-cli';

const VOL_PLUGINS = [
  'linux.pslist.PsList', 'linux.psaux.PsAux', 'linux.proc.Maps', 'linux.elfs.Elfs', 'linux.lsof.Lsof', 'linux.sockstat.Sockstat',
  'linux.envars.Envars', 'linux.lsmod.Lsmod', 'linux.check_syscall.Check_syscall', 'linux.kmsg.Kmsg', 'linux.bash.Bash', 'linux.check_modules.Check_modules',
];
// the #16 questions (containers' mounts, kernel hooks, eBPF, module views, psscan, creds, page cache) as
// Volatility 3 2.11 asks them; memq answers them all in one `analyze` of the rootkit-dev dump
const ROOTKIT_PLUGINS = [
  'linux.check_modules.Check_modules', 'linux.check_idt.Check_idt', 'linux.keyboard_notifiers.Keyboard_notifiers', 'linux.netfilter.Netfilter',
  'linux.ebpf.EBPF', 'linux.check_creds.Check_creds', 'linux.tty_check.tty_check', 'linux.psscan.PsScan', 'linux.mountinfo.MountInfo',
  'linux.pidhashtable.PIDHashTable', 'linux.check_syscall.Check_syscall', 'linux.pagecache.Files',
];

function volatility(): { cmd: string; args: string[]; label: string } | null {
  const extra = (process.env.VOL_ARGS ?? '').split(/\s+/).filter(Boolean);
  if (process.env.VOL) return { cmd: 'python3', args: [process.env.VOL, ...extra], label: `python3 ${process.env.VOL}` };
  const r = spawnSync('vol', ['-h'], { encoding: 'utf8' });
  return r.status === 0 ? { cmd: 'vol', args: extra, label: 'vol' } : null;
}

function timeVol(vol: NonNullable<ReturnType<typeof volatility>>, dump: string, plugin: string): { wallS: number; ok: boolean } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(vol.cmd, [...vol.args, '-q', '-r', 'none', '-f', dump, plugin], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { wallS: Number(process.hrtime.bigint() - t0) / 1e9, ok: r.status === 0 };
}

async function main(): Promise<void> {
  const dumps = process.env.MEMQ_COMPARE_DUMPS
    ? process.env.MEMQ_COMPARE_DUMPS.split(',')
    : [await materialize(path.join(IMAGES, 'linux-dev/memory.elf.gz')), path.join(IMAGES, 'linux-dev/memory.kdump')];
  // Volatility 3 has no kdump layer: the rootkit-dev kdump is written out flat (raw) for both tools
  const rootkitRaw = process.env.MEMQ_COMPARE_ROOTKIT ?? (await flatRaw(path.join(IMAGES, 'linux-dev-rootkit/memory.kdump')));
  const vol = volatility();
  if (!vol) process.stdout.write('compare: Volatility 3 not found (no `vol` on PATH, VOL unset): printing memq only\n');
  const failed: string[] = [];
  const rows = [['dump', 'work', 'memq warm s', 'memq cold s', vol ? `Volatility 3 s (${vol.label})` : 'Volatility 3 s', 'ratio (warm)', 'ratio (cold)', 'goal']];
  const cases = [...dumps.map((d) => ({ dump: d, rootkit: false })), { dump: rootkitRaw, rootkit: true }];
  for (const { dump, rootkit } of cases) {
    const name = `${path.basename(dump)} (${(fs.statSync(dump).size / 2 ** 20).toFixed(0)} MiB)`;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-compare-'));
    const work = rootkit
      ? [{ what: `rootkit questions (analyze / ${ROOTKIT_PLUGINS.length} plugins one by one)`, args: ['analyze', dump, '--out', out], plugins: ROOTKIT_PLUGINS, goal: 50 }]
      : [
          { what: 'process list (ps / linux.pslist)', args: ['ps', dump], plugins: [VOL_PLUGINS[0]!], goal: 20 },
          { what: `everything (analyze / ${VOL_PLUGINS.length} plugins one by one)`, args: ['analyze', dump, '--out', out], plugins: VOL_PLUGINS, goal: 100 },
        ];
    for (const w of work) {
      const cold = repeat(3, () => memq(w.args, { MEMQ_CACHE: freshCache() })).med.wallS;
      const cache = freshCache();
      memq(w.args, { MEMQ_CACHE: cache });
      const warm = repeat(5, () => memq(w.args, { MEMQ_CACHE: cache })).med.wallS;
      let volS = NaN;
      if (vol) {
        const runs = w.plugins.map((p) => ({ p, ...timeVol(vol, dump, p) }));
        // a plugin that fails did less work than memq: its time still counts (the ratio stays conservative), and it is named
        volS = runs.reduce((a, r) => a + r.wallS, 0);
        for (const r of runs.filter((x) => !x.ok)) failed.push(`${path.basename(dump)}: ${r.p} exited non-zero (its ${s(r.wallS)} s counted)`);
      }
      const ratio = (x: number) => (Number.isFinite(volS) ? `${(volS / x).toFixed(1)}x` : '-');
      rows.push([name, w.what, s(warm), s(cold), s(volS), ratio(warm), ratio(cold), `≥ ${w.goal}x`]);
    }
    fs.rmSync(out, { recursive: true, force: true });
  }
  process.stdout.write(table(rows));
  for (const f of failed) process.stdout.write(`Volatility: ${f}\n`);
}

/** A flat raw image of a dump's RAM below 4 GiB (pages at their physical address, holes sparse), in the temp folder. */
async function flatRaw(dump: string): Promise<string> {
  const out = path.join(os.tmpdir(), `memq-compare-${path.basename(path.dirname(dump))}.raw`);
  if (fs.existsSync(out)) return out;
  const mem = await openDumpFile(dump);
  const ram = mem.ranges.filter((r) => r.start < 2 ** 32);
  const fd = fs.openSync(`${out}.part`, 'w');
  try {
    fs.ftruncateSync(fd, Math.max(...ram.map((r) => r.end)));
    const buf = Buffer.alloc(1 << 20);
    for (const r of ram)
      for (let a = r.start; a < r.end; a += buf.length) {
        const n = Math.min(buf.length, r.end - a);
        if (mem.readPhys(a, buf, 0, n)) fs.writeSync(fd, buf, 0, n, a);
      }
  } finally {
    fs.closeSync(fd);
    mem.close();
  }
  fs.renameSync(`${out}.part`, out);
  return out;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
