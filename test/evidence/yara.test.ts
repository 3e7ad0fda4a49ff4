// YARA over the real dev dumps (6.1, 6.12; arm64 at the end) and the rootkit-dev images of both kernels
// (6.1 shipped, 6.12 generated: test/support/rootkit-images.ts): rules for the markers the image
// READMEs document land in the right process / region / module, each match's address read back from
// memory holds the matched bytes, module matches lie in the module memory region the test kit printed
// in the guest (≤ 6.3 the core layout, ≥ 6.4 the data / rodata regions of mem[]), a physical scan
// finds every RAM hit the 6.12 build listed, a rule set for absent strings finds nothing, and broken
// rules fail with their line and column.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux/index';
import { compileRules, MAX_MATCHES_PER_STRING, type YaraScanner } from '../../lib/yara/engine';
import { MemqError } from '../../lib/util/errors';
import type { Row } from '../../lib/model';
import { IMAGES } from '../support/dumps';
import { rootkitImage, rootkitKernels, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitGroundTruth, type RootkitKernel } from '../support/rootkit-images';

jest.setTimeout(600_000);

const MARKERS = `
rule miner_heap : miner { strings: $a = "MEMQ-HEAP:" condition: $a }
rule env_marker { strings: $a = "MARKER=memq-dev-7f3a" condition: $a }
rule bpf_cfg { strings: $a = "MEMQ-BPF-DEV-CFG-7f3a" condition: $a }
rule keylog { strings: $a = "memqdevkeylog42" condition: $a }
`;
// a string literal of the test kit (tk_core.c): module read-only data
const TESTKIT_RODATA = `
rule tk_fmt { strings: $a = "kprobe target=%s offset=0x%x probe_addr=" condition: $a }
`;
// strings that are in no dump (random): a clean rule set
const CLEAN = `
rule absent_text { strings: $a = "memq-absent-9c1f64e2b7d05a13" condition: $a }
rule absent_hex { strings: $h = { 5A 17 C3 9E 04 B2 7D 61 E8 3F } condition: $h }
`;

interface GtMap { start: string; end: string; perms: string; path?: string }
interface GtProc { pid: number; maps?: GtMap[]; environ?: string[] }
interface Gt { roles: Record<string, number>; processes: GtProc[]; rootkit?: RootkitGroundTruth['rootkit'] }

function index(gt: Gt) {
  return { gt, roles: gt.roles, procs: new Map(gt.processes.map((p) => [p.pid, p])) };
}
function load(dir: string) {
  return index(JSON.parse(fs.readFileSync(path.join(IMAGES, dir, 'ground-truth.json'), 'utf8')) as Gt);
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

interface Fixture { eng: LinuxEngine; rules: YaraScanner; rows: Row<'yara_match'>[]; gt: Gt; roles: Record<string, number>; procs: Map<number, GtProc> }

/** what every image (dev and rootkit-dev) must show */
function commonTests(f: () => Fixture): void {
  test('every match reads back from memory as the matched bytes, inside the region it names', () => {
    const { eng, rows, procs } = f();
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
    const { rows, roles, procs } = f();
    const miner = roles.evil_miner;
    const heap = rows.filter((r) => r.rule === 'miner_heap' && r.process_id === miner && r.file_name === '[heap]');
    expect(heap.length).toBeGreaterThanOrEqual(1);
    expect(heap[0].tags).toEqual(['miner']);
    expect(gtRegion(procs.get(miner), heap[0].address)?.path).toBe('[heap]');
    const env = rows.filter((r) => r.rule === 'env_marker' && r.process_id === miner);
    expect(procs.get(miner)!.environ).toContain('MARKER=memq-dev-7f3a');
    expect(env.map((r) => [r.file_name, r.protection, r.process_name])).toContainEqual(['[stack]', 'rw-p', 'evil-miner']);
  });

  test('a rule set for strings in no dump finds nothing', async () => {
    const clean = await compileRules([{ name: 'clean.yar', text: CLEAN }]);
    try {
      expect(f().eng.extract('yara_match', { yara: { scanner: clean } })).toEqual([]);
    } finally {
      clean.free();
    }
  });

  test('--pid scope: only that process, no module or kernel rows', () => {
    const { eng, rules, roles } = f();
    const miner = roles.evil_miner;
    const only = eng.extract('yara_match', { pid: miner, yara: { scanner: rules } });
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((r) => r.scope === 'process' && r.process_id === miner)).toBe(true);
  });
}

describe.each(['linux-dev', 'linux-dev-6.12'])('%s memory.kdump', (dir) => {
  const fx = {} as Fixture;
  beforeAll(async () => {
    Object.assign(fx, load(dir));
    fx.eng = (await openDump(path.join(IMAGES, dir, 'memory.kdump'))) as unknown as LinuxEngine;
    fx.rules = await compileRules([{ name: 'markers.yar', text: MARKERS }]);
    fx.rows = fx.eng.extract('yara_match', { yara: { scanner: fx.rules } });
  });
  afterAll(() => {
    fx.rules?.free();
    fx.eng?.mem.close();
  });
  commonTests(() => fx);

  test('no rootkit here: no eBPF map value in a process, no keylogger buffer', () => {
    expect(fx.rows.filter((r) => r.rule === 'bpf_cfg' && r.scope === 'process')).toEqual([]);
    expect(fx.rows.filter((r) => r.rule === 'keylog')).toEqual([]);
  });
});

type RkModule = RootkitGroundTruth['rootkit']['module'];
/** protection of a ≥ 6.4 module memory type (include/linux/module.h: text executable, data writable) */
const MODULE_PROT: Record<string, string | null> = { core: null, text: 'r-x', data: 'rw-', rodata: 'r--', ro_after_init: 'r--' };

/**
 * The hidden module's memory regions as the test kit printed them in the guest: ≥ 6.4 (truth has
 * data_base) text/data/rodata/ro_after_init, each its own allocation; ≤ 6.3 the one core layout.
 */
function truthModuleRegions(mod: RkModule): { kind: string; start: bigint; end: bigint }[] {
  const kinds = mod.data_base !== undefined ? ['text', 'data', 'rodata', 'ro_after_init'] : ['core'];
  return kinds
    .map((k) => ({ kind: k, start: BigInt(mod[`${k}_base`] as string), end: BigInt(mod[`${k}_base`] as string) + BigInt(mod[`${k}_size`] as number) }))
    .filter((r) => r.end > r.start);
}

function keylogTruth(gt: RootkitGroundTruth): { buffer: bigint; typed: string } {
  const hook = (gt.rootkit.hooks as { type: string; keylog_addr?: string; keylog_buffer?: string; keylog_in_dump?: string }[]).find((h) => h.type === 'keyboard_notifier')!;
  const typed = hook.keylog_in_dump ?? (gt.rootkit.keyboard as { typed_after_capture: string }).typed_after_capture;
  return { buffer: BigInt((hook.keylog_addr ?? hook.keylog_buffer)!), typed };
}

describe.each(rootkitKernels)('rootkit-dev %s', (kernel: RootkitKernel) => {
  const fx = {} as Fixture;
  let gt: RootkitGroundTruth;
  beforeAll(async () => {
    const img = await rootkitImage(kernel);
    gt = img.groundTruth;
    Object.assign(fx, index(gt as unknown as Gt));
    fx.eng = (await openDump(img.kdump)) as unknown as LinuxEngine;
    fx.rules = await compileRules([{ name: 'markers.yar', text: MARKERS + TESTKIT_RODATA }]);
    fx.rows = fx.eng.extract('yara_match', { yara: { scanner: fx.rules } });
  }, ROOTKIT_IMAGE_TIMEOUT_MS);
  afterAll(() => {
    fx.rules?.free();
    fx.eng?.mem.close();
  });
  commonTests(() => fx);

  test("the eBPF map value in the bpf agent's heap (where it wrote it with bpf())", () => {
    const bpf = fx.rows.filter((r) => r.rule === 'bpf_cfg' && r.scope === 'process');
    const map = (gt.bpf.maps as { name: string; key0_value?: string }[]).find((m) => m.name === 'memq_dev_cfg')!;
    expect(map.key0_value).toBe('MEMQ-BPF-DEV-CFG-7f3a');
    expect(bpf.some((r) => r.process_id === fx.roles.bpf_agent && r.file_name === '[heap]' && r.process_name === 'sysmon-agent')).toBe(true);
  });

  test('the keylogger buffer: one match, in the hidden module, in the module memory region the test kit printed', () => {
    const mod = gt.rootkit.module;
    const { buffer, typed } = keylogTruth(gt);
    const keylog = fx.rows.filter((r) => r.rule === 'keylog');
    expect(keylog.length).toBe(1);
    const k = keylog[0];
    const region = truthModuleRegions(mod).find((r) => buffer >= r.start && buffer < r.end)!;
    expect(region).toBeDefined();
    // the keys are stored from index 1 of the buffer (ground truth)
    expect([k.scope, k.module_name, k.process_id, k.data_preview, k.address]).toEqual(['module', mod.name, null, typed, buffer + 1n]);
    expect([k.region_start, k.region_end, k.file_name, k.protection]).toEqual([region.start, region.end, `[${region.kind}]`, MODULE_PROT[region.kind]]);
    if (kernel === '6.12') expect(region.kind).toBe('data');
  });

  test("the test kit's format string: in the module's read-only data (≥ 6.4 its own rodata allocation, after the data one)", () => {
    const mod = gt.rootkit.module;
    const regions = truthModuleRegions(mod);
    const hits = fx.rows.filter((r) => r.rule === 'tk_fmt' && r.scope === 'module');
    expect(hits.length).toBe(1);
    const h = hits[0];
    const region = regions.find((r) => h.address >= r.start && h.address < r.end)!;
    expect([h.module_name, h.region_start, h.region_end, h.file_name, h.protection]).toEqual([mod.name, region.start, region.end, `[${region.kind}]`, MODULE_PROT[region.kind]]);
    expect(region.kind).toBe(kernel === '6.12' ? 'rodata' : 'core');
  });

  test("every module match of the hidden module lies in one of its memory regions, with that region's bounds", () => {
    const regions = truthModuleRegions(gt.rootkit.module);
    const mine = fx.rows.filter((r) => r.scope === 'module' && r.module_name === gt.rootkit.module.name);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const r of mine) {
      const g = regions.find((x) => r.address >= x.start && r.address < x.end);
      expect(g && [g.start, g.end]).toEqual([r.region_start, r.region_end]);
    }
  });

  test('physical scope: the keylogger buffer and the miner heap marker at the physical addresses their virtual matches translate to', async () => {
    const { eng, rules, roles } = fx;
    const { buffer } = keylogTruth(gt);
    const phys = eng.extract('yara_match', { yara: { scanner: rules, processes: false, modules: false, kernel: false, physical: true } });
    expect(phys.every((r) => r.scope === 'physical' && r.process_id === null)).toBe(true);
    const at = (rule: string) => new Set(phys.filter((r) => r.rule === rule).map((r) => Number(r.address)));
    expect(at('keylog').has(eng.ctx.k.space.translate(buffer + 1n)!)).toBe(true);
    const miner = eng.ctx.tasks().find((t) => t.pid === roles.evil_miner)!;
    const heap = fx.rows.find((r) => r.rule === 'miner_heap' && r.process_id === roles.evil_miner && r.file_name === '[heap]')!;
    expect(at('miner_heap').has(eng.ctx.userSpace(miner)!.translate(heap.address)!)).toBe(true);
    // every physical match reads back from the dump
    for (const r of phys) {
      const b = Buffer.alloc(r.match_length!);
      expect(eng.mem.readPhys(Number(r.address), b, 0, b.length)).toBe(true);
      expect(b.toString('latin1')).toBe(r.data_preview);
    }
  });

  test('physical scope: every RAM hit of the markers the image build listed (6.12 build checks), rules made from those markers', async () => {
    const checks = ((gt.rootkit.checks ?? []) as { name: string; physical_hits?: string[]; count?: number }[]).filter((c) => c.physical_hits);
    if (kernel === '6.1') {
      // the shipped 6.1 image's checks are structure checks, without RAM hit lists
      expect(checks).toEqual([]);
      return;
    }
    const { typed } = keylogTruth(gt);
    const needles = checks.map((c) => c.name.match(/"([^"]+)"/)![1]);
    expect(needles).toContain(typed);
    const text = needles.map((n, i) => `rule m${i} { strings: $a = "${n.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" condition: $a }`).join('\n');
    const s = await compileRules([{ name: 'checks.yar', text }]);
    try {
      const phys = fx.eng.extract('yara_match', { yara: { scanner: s, processes: false, modules: false, kernel: false, physical: true } });
      checks.forEach((c, i) => {
        const got = phys.filter((r) => r.rule === `m${i}`).map((r) => '0x' + r.address.toString(16));
        // the build lists at most 8 hits (and the count): all listed are found, and as many in all
        expect([needles[i], got.length]).toEqual([needles[i], c.count ?? c.physical_hits!.length]);
        for (const h of c.physical_hits!) expect([needles[i], got.includes(h)]).toEqual([needles[i], true]);
      });
    } finally {
      s.free();
    }
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
