// YARA over the real rootkit-dev and dev dumps (6.1, 6.12; arm64 at the end): rules for the markers the image READMEs
// document land in the right process / region / module, each match's address read back from memory
// holds the matched bytes, a rule set for absent strings finds nothing, and broken rules fail with
// their line and column.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux/index';
import { compileRules, MAX_MATCHES_PER_STRING, type YaraScanner } from '../../lib/yara/engine';
import { MemqError } from '../../lib/util/errors';
import type { Row } from '../../lib/model';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);

const MARKERS = `
rule miner_heap : miner { strings: $a = "MEMQ-HEAP:" condition: $a }
rule env_marker { strings: $a = "MARKER=memq-dev-7f3a" condition: $a }
rule bpf_cfg { strings: $a = "MEMQ-BPF-DEV-CFG-7f3a" condition: $a }
rule keylog { strings: $a = "memqdevkeylog42" condition: $a }
`;
// strings that are in no dump (random): a clean rule set
const CLEAN = `
rule absent_text { strings: $a = "memq-absent-9c1f64e2b7d05a13" condition: $a }
rule absent_hex { strings: $h = { 5A 17 C3 9E 04 B2 7D 61 E8 3F } condition: $h }
`;

interface GtMap { start: string; end: string; perms: string; path?: string }
interface GtProc { pid: number; maps?: GtMap[]; environ?: string[] }

function load(dir: string) {
  const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, dir, 'ground-truth.json'), 'utf8'));
  return { gt, roles: gt.roles as Record<string, number>, procs: new Map((gt.processes as GtProc[]).map((p) => [p.pid, p])) };
}

/** the ground-truth /proc/PID/maps line holding `addr` */
function gtRegion(p: GtProc | undefined, addr: bigint): GtMap | undefined {
  return p?.maps?.find((m) => BigInt(m.start) <= addr && addr < BigInt(m.end));
}

function readBack(eng: LinuxEngine, r: Row<'yara_match'>): Buffer | null {
  const len = r.match_length ?? 0;
  if (r.scope === 'process') {
    const t = eng.ctx.tasks().find((x) => x.tgid === r.process_id)!;
    return eng.ctx.userSpace(t)!.read(r.address, len);
  }
  return eng.ctx.k.space.read(r.address, len);
}

describe.each([
  ['linux-dev-rootkit', true],
  ['linux-dev', false],
  ['linux-dev-6.12', false],
])('%s memory.kdump', (dir, rootkit) => {
  const { gt, roles, procs } = load(dir);
  let eng: LinuxEngine;
  let rules: YaraScanner;
  let rows: Row<'yara_match'>[];
  beforeAll(async () => {
    eng = (await openDump(path.join(IMAGES, dir, 'memory.kdump'))) as unknown as LinuxEngine;
    rules = await compileRules([{ name: 'markers.yar', text: MARKERS }]);
    rows = eng.extract('yara_match', { yara: { scanner: rules } });
  });
  afterAll(() => {
    rules?.free();
    eng?.mem.close();
  });

  test('every match reads back from memory as the matched bytes, inside the region it names', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.namespace).toBe('markers');
      expect(r.address >= r.region_start && r.address < r.region_end).toBe(true);
      expect(r.region_offset).toBe(Number(r.address - r.region_start));
      const bytes = readBack(eng, r);
      expect(bytes?.toString('latin1')).toBe(r.data_preview);
      if (r.scope === 'process') {
        // the region is the process's VMA as /proc/PID/maps showed it in the guest
        const m = gtRegion(procs.get(r.process_id!), r.address);
        expect(m).toBeDefined();
        expect([BigInt(m!.start), BigInt(m!.end), m!.perms]).toEqual([r.region_start, r.region_end, r.protection]);
      }
    }
  });

  test("the miner's heap buffer: MEMQ-HEAP: in the miner's [heap] VMA, its environment MARKER on its [stack]", () => {
    const miner = roles.evil_miner;
    const heap = rows.filter((r) => r.rule === 'miner_heap' && r.process_id === miner && r.file_name === '[heap]');
    expect(heap.length).toBeGreaterThanOrEqual(1);
    expect(heap[0].tags).toEqual(['miner']);
    expect(gtRegion(procs.get(miner), heap[0].address)?.path).toBe('[heap]');
    const env = rows.filter((r) => r.rule === 'env_marker' && r.process_id === miner);
    expect(procs.get(miner)!.environ).toContain('MARKER=memq-dev-7f3a');
    expect(env.map((r) => [r.file_name, r.protection, r.process_name])).toContainEqual(['[stack]', 'rw-p', 'evil-miner']);
  });

  test('the eBPF map value (rootkit dump only) in the bpf agent heap; the keylogger buffer in memq_testkit module memory', () => {
    const bpf = rows.filter((r) => r.rule === 'bpf_cfg' && r.scope === 'process');
    const keylog = rows.filter((r) => r.rule === 'keylog');
    if (!rootkit) {
      expect(bpf).toEqual([]);
      expect(keylog).toEqual([]);
      return;
    }
    expect(bpf.some((r) => r.process_id === roles.bpf_agent && r.file_name === '[heap]' && r.process_name === 'sysmon-agent')).toBe(true);
    const mod = gt.rootkit.module;
    const hook = (gt.rootkit.hooks as { type: string; keylog_addr: string; keylog_in_dump: string }[]).find((h) => h.type === 'keyboard_notifier')!;
    expect(keylog.length).toBe(1);
    const k = keylog[0];
    expect([k.scope, k.module_name, k.process_id, k.data_preview]).toEqual(['module', 'memq_testkit', null, hook.keylog_in_dump]);
    // the hidden module's core as the module printed it; the keys are stored from index 1 of the buffer (ground truth)
    expect(k.region_start).toBe(BigInt(mod.core_base));
    expect(k.address).toBe(BigInt(hook.keylog_addr) + 1n);
  });

  test('a rule set for strings in no dump finds nothing', async () => {
    const clean = await compileRules([{ name: 'clean.yar', text: CLEAN }]);
    try {
      expect(eng.extract('yara_match', { yara: { scanner: clean } })).toEqual([]);
    } finally {
      clean.free();
    }
  });

  test('--pid scope: only that process, no module or kernel rows', () => {
    const miner = roles.evil_miner;
    const only = eng.extract('yara_match', { pid: miner, yara: { scanner: rules } });
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((r) => r.scope === 'process' && r.process_id === miner)).toBe(true);
  });
});

test('a broken rule is a MemqError naming the source, line and column', async () => {
  const bad = 'rule ok { condition: true }\nrule bad {\n  strings: $a = "x"\n  condition: $b\n}\n';
  await expect(compileRules([{ name: 'rules/bad.yar', text: bad }])).rejects.toThrow(MemqError);
  await expect(compileRules([{ name: 'rules/bad.yar', text: bad }])).rejects.toThrow(/^YARA rules rules\/bad\.yar: line 4, column 14: unknown pattern `\$b`/);
  await expect(compileRules([{ name: 'x.yar', text: 'rule { condition: true }' }])).rejects.toThrow(/x\.yar: line 1, column 6: syntax error/);
});

test("arm64 dev dump: the miner's heap marker at the address the image README read through its TTBR0 tables", async () => {
  const dir = path.join(IMAGES, 'linux-dev-arm64');
  const { roles, procs } = load('linux-dev-arm64');
  const eng = (await openDump(path.join(dir, 'memory.kdump'))) as unknown as LinuxEngine;
  const rules = await compileRules([{ name: 'markers.yar', text: MARKERS }]);
  try {
    const rows = eng.extract('yara_match', { pid: roles.evil_miner, yara: { scanner: rules } });
    const heap = rows.filter((r) => r.rule === 'miner_heap' && r.file_name === '[heap]');
    // README: "MEMQ-HEAP:wallet-4AdevMemqWallet7f3a at va 0xaaab0bf742a0 (pid 108)"
    expect(heap.map((r) => [r.process_id, r.address])).toEqual([[roles.evil_miner, 0xaaab0bf742a0n]]);
    expect(gtRegion(procs.get(roles.evil_miner), heap[0].address)?.path).toBe('[heap]');
    for (const r of rows) expect(readBack(eng, r)?.toString('latin1')).toBe(r.data_preview);
  } finally {
    rules.free();
    eng.mem.close();
  }
});

test('rootkit-dev, physical scope: the keylogger buffer and the miner heap marker at the physical addresses their virtual matches translate to', async () => {
  const dir = path.join(IMAGES, 'linux-dev-rootkit');
  const { gt, roles } = load('linux-dev-rootkit');
  const hook = (gt.rootkit.hooks as { type: string; keylog_addr: string }[]).find((h) => h.type === 'keyboard_notifier')!;
  const eng = (await openDump(path.join(dir, 'memory.kdump'))) as unknown as LinuxEngine;
  const rules = await compileRules([{ name: 'markers.yar', text: MARKERS }]);
  try {
    const phys = eng.extract('yara_match', { yara: { scanner: rules, processes: false, modules: false, kernel: false, physical: true } });
    expect(phys.every((r) => r.scope === 'physical' && r.process_id === null)).toBe(true);
    const at = (rule: string) => new Set(phys.filter((r) => r.rule === rule).map((r) => Number(r.address)));
    expect(at('keylog').has(eng.ctx.k.space.translate(BigInt(hook.keylog_addr) + 1n)!)).toBe(true);
    const miner = eng.ctx.tasks().find((t) => t.pid === roles.evil_miner)!;
    const heap = eng.extract('yara_match', { pid: roles.evil_miner, yara: { scanner: rules } }).find((r) => r.rule === 'miner_heap' && r.file_name === '[heap]')!;
    expect(at('miner_heap').has(eng.ctx.userSpace(miner)!.translate(heap.address)!)).toBe(true);
    // every physical match reads back from the dump
    for (const r of phys) {
      const b = Buffer.alloc(r.match_length!);
      expect(eng.mem.readPhys(Number(r.address), b, 0, b.length)).toBe(true);
      expect(b.toString('latin1')).toBe(r.data_preview);
    }
  } finally {
    rules.free();
    eng.mem.close();
  }
});

test('a rule that matches everywhere stays bounded: at most 1000 occurrences per string and block', async () => {
  const { roles } = load('linux-dev');
  const eng = (await openDump(path.join(IMAGES, 'linux-dev', 'memory.kdump'))) as unknown as LinuxEngine;
  const rules = await compileRules([{ name: 'zeros.yar', text: 'rule zeros { strings: $z = { 00 00 00 00 00 00 00 00 } condition: $z }' }]);
  try {
    const rows = eng.extract('yara_match', { pid: roles.evil_miner, yara: { scanner: rules } });
    // one process fits one 16 MiB block here: the engine's cap is the whole answer
    expect(rows.length).toBe(MAX_MATCHES_PER_STRING);
    expect(new Set(rows.map((r) => r.address)).size).toBe(rows.length);
  } finally {
    rules.free();
    eng.mem.close();
  }
});
