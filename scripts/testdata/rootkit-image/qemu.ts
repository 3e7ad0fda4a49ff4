// Boots the scenario initramfs under qemu-system-x86_64 (TCG, no NIC), waits for the ground truth
// on the serial console, types a marker on the PS/2 keyboard (the test kit's keyboard notifier logs
// it), stops the VM and dumps its memory with QMP dump-guest-memory (kdump-zlib). Every wait is
// bounded; on failure the serial log tail is in the error.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** line-delimited QMP client: one command at a time, events skipped */
class Qmp {
  private buf = '';
  private waiters: ((line: Record<string, unknown>) => void)[] = [];
  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
  }
  static async open(path: string, timeoutMs: number): Promise<Qmp> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((res, rej) => {
          const s = connect(path, () => res(s));
          s.once('error', rej);
        });
        const q = new Qmp(sock);
        await q.next(10_000); // greeting
        await q.cmd('qmp_capabilities');
        return q;
      } catch (e) {
        if (Date.now() > end) throw new Error(`QMP socket ${path}: ${(e as Error).message}`);
        await sleep(200);
      }
    }
  }
  private next(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`QMP: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(t);
        res(m);
      });
    });
  }
  async cmd(execute: string, args?: Record<string, unknown>, timeoutMs = 60_000): Promise<unknown> {
    const p = this.next(timeoutMs);
    this.sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
    const r = await p;
    if ('error' in r) throw new Error(`QMP ${execute}: ${JSON.stringify(r.error)}`);
    return r.return;
  }
  close() {
    this.sock.destroy();
  }
}

export interface BootOptions {
  kernel: string;
  initrd: string;
  memMiB: number;
  serialLog: string;
  qmpSock: string;
  kdumpPath: string;
  timeoutS: number;
  keylog: string;
  log: (s: string) => void;
}

export interface BootResult {
  gtBase64: string;
  stages: Record<string, number>; // host seconds since qemu start at each MEMQ-STAGE line
  qemuArgs: string[];
  dumpSeconds: number;
}

const QCODE: Record<string, string> = { ' ': 'spc', '-': 'minus', '.': 'dot', '/': 'slash' };

export async function bootAndDump(o: BootOptions): Promise<BootResult> {
  for (const f of [o.serialLog, o.qmpSock, o.kdumpPath]) rmSync(f, { force: true });
  const qemuArgs = [
    '-machine', 'pc', '-accel', 'tcg', '-cpu', 'qemu64', '-smp', '1', '-m', String(o.memMiB),
    '-nodefaults', '-vga', 'std', '-display', 'none', '-nic', 'none', '-no-reboot',
    '-kernel', o.kernel, '-initrd', o.initrd, '-append', 'console=ttyS0,115200 panic=-1',
    '-chardev', `file,id=s0,path=${o.serialLog}`, '-serial', 'chardev:s0', '-serial', 'null',
    '-qmp', `unix:${o.qmpSock},server=on,wait=off`,
  ];
  const t0 = Date.now();
  const qemu: ChildProcess = spawn('qemu-system-x86_64', qemuArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let qemuErr = '';
  let exited: number | null = null;
  qemu.stderr!.on('data', (d: Buffer) => (qemuErr += d.toString()));
  qemu.on('exit', (c) => (exited = c ?? -1));
  const serial = () => (existsSync(o.serialLog) ? readFileSync(o.serialLog, 'latin1') : '');
  const fail = (why: string) => {
    if (exited === null) qemu.kill('SIGKILL');
    const tail = serial().split('\n').slice(-25).join('\n');
    return new Error(`${why}\n--- qemu stderr ---\n${qemuErr.trim()}\n--- serial tail ---\n${tail}`);
  };
  const stages: Record<string, number> = {};
  let qmp: Qmp | undefined;
  try {
    qmp = await Qmp.open(o.qmpSock, 60_000); // QEMU may start slowly on a loaded machine
    const deadline = t0 + o.timeoutS * 1000;
    let gt: string | undefined;
    while (!gt) {
      if (exited !== null) throw fail(`qemu exited (${exited}) before the ground truth arrived`);
      if (Date.now() > deadline) throw fail(`no ground truth on the serial console after ${o.timeoutS} s`);
      await sleep(500);
      const s = serial();
      for (const m of s.matchAll(/^MEMQ-STAGE (\S+)(.*)$/gm)) {
        if (!(m[1] in stages)) {
          stages[m[1]] = (Date.now() - t0) / 1000;
          o.log(`  guest: ${m[1]}${m[2]} (+${stages[m[1]].toFixed(1)} s)`);
        }
      }
      const b = s.indexOf('=====MEMQ-GT-BEGIN=====');
      const e = s.indexOf('=====MEMQ-GT-END=====');
      if (b >= 0 && e > b) gt = s.slice(b + 23, e).replace(/[^A-Za-z0-9+/=]/g, '');
    }
    // wait for READY so the capture shell is gone, then type the keylogger marker
    while (!/^MEMQ-STAGE READY/m.test(serial())) {
      if (Date.now() > deadline) throw fail('no READY after the ground truth');
      await sleep(200);
    }
    stages.READY ??= (Date.now() - t0) / 1000;
    for (const ch of o.keylog) {
      const code = QCODE[ch] ?? ch.toLowerCase();
      await qmp.cmd('send-key', { keys: [{ type: 'qcode', data: code }] });
      await sleep(30);
    }
    await sleep(1500);
    await qmp.cmd('stop');
    const d0 = Date.now();
    await qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${o.kdumpPath}`, format: 'kdump-zlib' }, 300_000);
    const dumpSeconds = (Date.now() - d0) / 1000;
    await qmp.cmd('quit').catch(() => undefined);
    return { gtBase64: gt, stages, qemuArgs, dumpSeconds };
  } catch (e) {
    throw e instanceof Error && e.message.includes('--- serial tail ---') ? e : fail((e as Error).message);
  } finally {
    qmp?.close();
    for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
    if (exited === null) qemu.kill('SIGKILL');
  }
}

/**
 * QEMU 7.2 writes -z dumps in makedumpfile's flattened stream format; rearrange it into the standard
 * kdump layout (what makedumpfile -R does) so every tool reads it. Records: be64 offset, be64 size, data.
 */
export function deflatten(flat: Buffer): Buffer {
  if (flat.toString('latin1', 0, 12) !== 'makedumpfile') return flat; // already standard
  const recs: [number, number, number][] = [];
  let p = 4096;
  let size = 0;
  while (p + 16 <= flat.length) {
    const off = flat.readBigInt64BE(p);
    const len = flat.readBigInt64BE(p + 8);
    if (off === -1n && len === -1n) break;
    if (off < 0n || len < 0n || p + 16 + Number(len) > flat.length) throw new Error(`flattened kdump: bad record at ${p}`);
    recs.push([Number(off), p + 16, Number(len)]);
    size = Math.max(size, Number(off) + Number(len));
    p += 16 + Number(len);
  }
  const out = Buffer.alloc(size);
  for (const [off, src, len] of recs) flat.copy(out, off, src, src + len);
  return out;
}
