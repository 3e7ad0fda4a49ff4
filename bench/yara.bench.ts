// YARA benchmark: YARA-X (WebAssembly, @virustotal/yara-x) throughput per core on dump bytes, and
// `memq yara` end to end on the real kdumps (process VMAs + module memory + kernel image; the
// generated 6.12 rootkit image too when it exists): bytes scanned, MB/s of scanned memory per CPU
// second, wall time, peak RSS; plus the Lambda-fit facts (package size on disk, WebAssembly load,
// rule compile). Printed, not asserted.
// Run: npm run bench -- yara
import * as fs from 'node:fs';
import * as path from 'node:path';
import { materialize } from '../lib/image/open';
import { openDump } from '../lib/os/open';
import { compileRules, type YaraScanner } from '../lib/yara/engine';
import { outDir } from '../scripts/testdata/rootkit-image/inputs';

const IMAGES = path.resolve(__dirname, '../../shared/images');
const mb = (n: number) => n / (1 << 20);

const MARKERS = `
rule miner_heap { strings: $a = "MEMQ-HEAP:" condition: $a }
rule env_marker { strings: $a = "MARKER=memq-dev-7f3a" condition: $a }
rule bpf_cfg { strings: $a = "MEMQ-BPF-DEV-CFG-7f3a" condition: $a }
rule keylog { strings: $a = "memqdevkeylog42" condition: $a }
`;
/** a heavier, more typical set: 100 rules mixing text (ascii/wide/nocase), hex with jumps and regexes */
function manyRules(): string {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const h = (i * 2654435761) >>> 0;
    const hex = [...Buffer.from(h.toString(16).padStart(8, '0'), 'hex')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    out.push(`rule r${i} { strings: $t = "memq-bench-${h.toString(36)}" ascii wide nocase $h = { ${hex} [2-6] 4D 5A } $r = /bench${i}[a-z]{4,8}\\.example/ condition: any of them }`);
  }
  return out.join('\n');
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** counts bytes and CPU time spent inside YARA scans */
function counting(s: YaraScanner): { scanner: YaraScanner; bytes: () => number; cpuMs: () => number } {
  let bytes = 0;
  let cpu = 0;
  return {
    scanner: {
      ...s,
      ruleCount: s.ruleCount,
      warnings: s.warnings,
      free: () => s.free(),
      scan(block) {
        bytes += block.length;
        const c = process.cpuUsage();
        const r = s.scan(block);
        const d = process.cpuUsage(c);
        cpu += (d.user + d.system) / 1000;
        return r;
      },
    },
    bytes: () => bytes,
    cpuMs: () => cpu,
  };
}

async function main(): Promise<void> {
  const pkg = path.dirname(require.resolve('@virustotal/yara-x/package.json'));
  const size = (d: string): number => fs.readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).size), 0);
  let t = performance.now();
  const first = await compileRules([{ name: 'markers.yar', text: MARKERS }]); // loads the WebAssembly module once
  const loadMs = performance.now() - t;
  t = performance.now();
  const many = await compileRules([{ name: 'many.yar', text: manyRules() }]);
  const compileMs = performance.now() - t;
  console.log(`@virustotal/yara-x on disk ${mb(size(pkg)).toFixed(1)} MB; WebAssembly load + first compile ${loadMs.toFixed(0)} ms; 100-rule compile ${compileMs.toFixed(0)} ms; RSS after load ${peakRssMb().toFixed(0)} MB`);

  // engine throughput: 64 MiB of guest memory (the dev raw image), scanned in blocks of several sizes
  const raw = await materialize(path.join(IMAGES, 'linux-dev/memory.raw.gz'));
  const fd = fs.openSync(raw, 'r');
  const data = Buffer.alloc(64 << 20);
  fs.readSync(fd, data, 0, data.length, 0);
  fs.closeSync(fd);
  console.log('\nrules      block     MB/s per core (CPU time)   wall MB/s');
  for (const [name, s] of [['4 markers', first], ['100 mixed', many]] as [string, YaraScanner][]) {
    for (const block of [64 << 10, 1 << 20, 16 << 20]) {
      const c = process.cpuUsage();
      const w = performance.now();
      for (let off = 0; off < data.length; off += block) s.scan(data.subarray(off, Math.min(data.length, off + block)));
      const wall = performance.now() - w;
      const d = process.cpuUsage(c);
      const cpuS = (d.user + d.system) / 1e6;
      console.log(`${name.padEnd(10)} ${`${block >> 10} KiB`.padEnd(9)} ${(mb(data.length) / cpuS).toFixed(0).padEnd(26)} ${(mb(data.length) / (wall / 1000)).toFixed(0)}`);
    }
  }

  console.log('\nmemq yara end to end (processes + modules + kernel image)');
  console.log('dump                           rules      scanned MB  matches  wall ms  scan MB/s per core  peak RSS MB');
  // the generated 6.12 rootkit image when it has been built (scripts/testdata/rootkit-image; the tests build it)
  const rk612 = path.join(outDir(), 'memory.kdump');
  const dumps: [string, string][] = [
    ['linux-dev/memory.kdump', path.join(IMAGES, 'linux-dev/memory.kdump')],
    ['linux-dev-6.12/memory.kdump', path.join(IMAGES, 'linux-dev-6.12/memory.kdump')],
    ['linux-dev-rootkit/memory.kdump', path.join(IMAGES, 'linux-dev-rootkit/memory.kdump')],
    ...(fs.existsSync(rk612) ? [['linux-dev-rootkit-6.12 (gen.)', rk612] as [string, string]] : []),
    ['linux-dev-arm64/memory.kdump', path.join(IMAGES, 'linux-dev-arm64/memory.kdump')],
  ];
  for (const [rel, file] of dumps) {
    for (const [name, s] of [['4 markers', first], ['100 mixed', many]] as [string, YaraScanner][]) {
      const eng = await openDump(file);
      eng.extract('process'); // discovery and the task list are not part of the figure
      const cs = counting(s);
      const w = performance.now();
      const rows = eng.extract('yara_match', { yara: { scanner: cs.scanner } });
      const wall = performance.now() - w;
      eng.mem.close();
      console.log(`${rel.padEnd(30)} ${name.padEnd(10)} ${mb(cs.bytes()).toFixed(1).padEnd(11)} ${String(rows.length).padEnd(8)} ${wall.toFixed(0).padEnd(8)} ${(mb(cs.bytes()) / (cs.cpuMs() / 1000)).toFixed(0).padEnd(19)} ${peakRssMb().toFixed(0)}`);
    }
  }
  first.free();
  many.free();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
