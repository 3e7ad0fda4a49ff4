// Hooks reached through kernel tables and chains: netfilter (every network namespace's
// nf_hook_entries per family and hook point, with each entry's nf_hook_ops), the keyboard notifier
// chain, the x86-64 IDT, and tty driver / line-discipline operations. IDT and tty rows are only the
// anomalies (a gate or operation outside the code that should own it); the others list every hook.
import type { LinuxContext } from './context';
import type { ModuleMap } from './module-map';
import type { RawHook } from './hooks';
import { hex } from '../../util/hex';

const MAX_NETNS = 4096;
const MAX_NF_ENTRIES = 1024;
const MAX_NF_ROWS = 1 << 16;
const MAX_DEVICES = 1 << 16;
/** net_device members holding nf_hook_entries: [member, hook point, NF_NETDEV_* number] */
const NETDEV_HOOKS: [string, string, number][] = [
  ['nf_hooks_ingress', 'INGRESS', 0],
  ['nf_hooks_egress', 'EGRESS', 1],
];
const MAX_NOTIFIERS = 1024;
const MAX_TTY_DRIVERS = 1024;
const NR_LDISCS = 30; // tty_ldiscs[NR_LDISCS], unchanged since 2.6

const INET_HOOKS = ['PRE_ROUTING', 'LOCAL_IN', 'FORWARD', 'LOCAL_OUT', 'POST_ROUTING'];
const ARP_HOOKS = ['IN', 'OUT', 'FORWARD'];
/** struct netns_nf members per family: [member, family name, hook names] */
const NF_FAMILIES: [string, string, string[]][] = [
  ['hooks_ipv4', 'ipv4', INET_HOOKS],
  ['hooks_ipv6', 'ipv6', INET_HOOKS],
  ['hooks_arp', 'arp', ARP_HOOKS],
  ['hooks_bridge', 'bridge', INET_HOOKS],
  ['hooks_decnet', 'decnet', ['PRE_ROUTING', 'LOCAL_IN', 'FORWARD', 'LOCAL_OUT', 'POST_ROUTING', 'HELLO', 'ROUTE']],
];
const NFPROTO: Record<number, string> = { 1: 'inet', 2: 'ipv4', 3: 'arp', 5: 'netdev', 7: 'bridge', 10: 'ipv6', 12: 'decnet' };

/**
 * net_namespace_list → struct net → nf.hooks_<family>[hooknum] → nf_hook_entries { u16 num;
 * nf_hook_entry hooks[num]; nf_hook_ops *orig_ops[num] }, and each device of the namespace
 * (net.dev_base_head) → net_device.nf_hooks_ingress / nf_hooks_egress (family netdev).
 */
export function netfilterHooks(ctx: LinuxContext): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const initNet = syms.get('init_net');
  const head = syms.get('net_namespace_list');
  const nets: bigint[] = [];
  if (head !== undefined) for (const n of v.list(head, v.off('net', 'list'), MAX_NETNS, (m) => ctx.warn(`net_namespace_list: ${m}`))) nets.push(n);
  if (initNet !== undefined && !nets.includes(initNet)) nets.unshift(initNet);
  const entrySize = v.size('nf_hook_entry');
  const hooksOff = v.off('nf_hook_entries', 'hooks');
  const out: RawHook[] = [];

  /** the hooks of one nf_hook_entries slot */
  const slotRows = (slot: bigint, family: string, hookName: string, h: number, target: string, targetAddr: bigint, detail: string) =>
    ctx.safe(`netfilter ${target} ${family} ${hookName}`, () => {
      const e = v.ptr(slot);
      if (e === 0n) return;
      const num = v.u16(e + BigInt(v.off('nf_hook_entries', 'num_hook_entries')));
      if (num > MAX_NF_ENTRIES) {
        ctx.warn(`netfilter ${target} ${family} ${hookName}: nf_hook_entries at ${hex(e)} claims ${num} entries — skipped`);
        return;
      }
      const entries = v.bytes(e + BigInt(hooksOff), num * entrySize);
      const orig = v.bytes(e + BigInt(hooksOff + num * entrySize), num * 8);
      for (let i = 0; i < num && out.length < MAX_NF_ROWS; i++) {
        const hook = entries.readBigUInt64LE(i * entrySize);
        const ops = orig.readBigUInt64LE(i * 8);
        const pf = ops ? v.num(ops, 'nf_hook_ops', 'pf') : null;
        out.push({
          kind: 'netfilter',
          target_symbol: target,
          target_address: targetAddr,
          location: slot,
          object_address: ops || null,
          handler: hook,
          family: pf !== null && pf !== undefined ? (NFPROTO[pf] ?? String(pf)) : family,
          hooknum: ops ? v.num(ops, 'nf_hook_ops', 'hooknum') : h,
          hook_point: hookName,
          priority: ops ? v.i32(ops + BigInt(v.off('nf_hook_ops', 'priority'))) : null,
          detail,
        });
      }
    }, undefined);

  let devices = 0;
  for (const net of nets) {
    if (out.length >= MAX_NF_ROWS) {
      ctx.warn(`netfilter: more than ${MAX_NF_ROWS} hooks — cut`);
      break;
    }
    const inum = ctx.safe(`net ${hex(net)}`, () => (v.has('net', 'ns.inum') ? v.u32(net + BigInt(v.off('net', 'ns.inum'))) : null), null);
    const netName = net === initNet ? 'init_net' : `net:[${inum ?? hex(net)}]`;
    const ns = inum !== null ? ` (net ns ${inum})` : '';
    for (const [member, family, names] of NF_FAMILIES) {
      if (!v.has('net', `nf.${member}`)) continue;
      const arr = net + BigInt(v.off('net', `nf.${member}`));
      const count = Math.min(v.count('net', `nf.${member}`), names.length);
      for (let h = 0; h < count; h++) slotRows(arr + BigInt(h * 8), family, names[h], h, netName, net, `${family} hook ${h} in ${netName}${ns}`);
    }
    // netdev family: per device, CONFIG_NETFILTER_INGRESS / _EGRESS
    const devHooks = NETDEV_HOOKS.filter(([m]) => v.has('net_device', m));
    if (!devHooks.length || !v.has('net', 'dev_base_head')) continue;
    const devHead = net + BigInt(v.off('net', 'dev_base_head'));
    for (const dev of v.list(devHead, v.off('net_device', 'dev_list'), MAX_DEVICES, (m) => ctx.warn(`devices of ${netName}: ${m}`))) {
      if (++devices > MAX_DEVICES) {
        ctx.warn(`netfilter: more than ${MAX_DEVICES} network devices — cut`);
        break;
      }
      const name = ctx.safe(`net_device ${hex(dev)}`, () => v.cstr(dev + BigInt(v.off('net_device', 'name')), 16), hex(dev));
      for (const [member, hookName, h] of devHooks) {
        slotRows(dev + BigInt(v.off('net_device', member)), 'netdev', hookName, h, `${name} in ${netName}`, dev, `netdev ${hookName.toLowerCase()} hook of ${name} in ${netName}${ns}`);
      }
    }
  }
  return out;
}

/** keyboard_notifier_list (atomic_notifier_head) → notifier_block chain. */
export function keyboardNotifierHooks(ctx: LinuxContext): RawHook[] {
  const v = ctx.v;
  const head = ctx.k.syms.get('keyboard_notifier_list');
  if (head === undefined) return [];
  const out: RawHook[] = [];
  let nb = v.ptr(head + BigInt(v.off('atomic_notifier_head', 'head')));
  const seen = new Set<bigint>();
  while (nb !== 0n && !seen.has(nb) && seen.size < MAX_NOTIFIERS) {
    seen.add(nb);
    const cur = nb;
    const row = ctx.safe(`notifier_block ${hex(cur)}`, () => ({
      kind: 'keyboard_notifier',
      target_symbol: 'keyboard_notifier_list',
      target_address: head,
      location: head,
      object_address: cur,
      handler: v.p(cur, 'notifier_block', 'notifier_call'),
      priority: v.i32(cur + BigInt(v.off('notifier_block', 'priority'))),
      detail: null,
    }), null);
    if (row) out.push(row);
    nb = ctx.safe(`notifier_block ${hex(cur)} next`, () => v.p(cur, 'notifier_block', 'next'), 0n);
  }
  if (nb !== 0n) ctx.warn(`keyboard_notifier_list: ${seen.has(nb) ? 'cycle' : 'too many notifiers'} at ${hex(nb)} — cut`);
  return out;
}

/** x86-64 idt_table: 256 16-byte gates; rows for present gates whose handler is outside the kernel text. */
export function idtHooks(ctx: LinuxContext, mods: ModuleMap): RawHook[] {
  if (ctx.k.arch !== 'x86_64') return [];
  const table = ctx.k.syms.get('idt_table');
  if (table === undefined) return [];
  const raw = ctx.v.bytes(table, 256 * 16);
  const out: RawHook[] = [];
  for (let i = 0; i < 256; i++) {
    const o = i * 16;
    const bits = raw.readUInt16LE(o + 4);
    if (!(bits & 0x8000)) continue; // not present
    const handler = BigInt(raw.readUInt16LE(o)) | (BigInt(raw.readUInt16LE(o + 6)) << 16n) | (BigInt(raw.readUInt32LE(o + 8)) << 32n);
    if (mods.inKernelText(handler)) continue;
    out.push({ kind: 'idt', target_symbol: 'idt_table', target_address: table, location: table + BigInt(o), object_address: table + BigInt(o), handler, hooknum: i, hook_point: `vector ${i}`, detail: `gate type ${(bits >> 8) & 0xf}, dpl ${(bits >> 13) & 3}`, anomaly: 'IDT gate outside the kernel text' });
  }
  return out;
}

const TTY_OPS = ['lookup', 'install', 'remove', 'open', 'close', 'shutdown', 'cleanup', 'write', 'put_char', 'flush_chars', 'write_room', 'chars_in_buffer', 'ioctl', 'compat_ioctl', 'set_termios', 'throttle', 'unthrottle', 'stop', 'start', 'hangup', 'break_ctl', 'flush_buffer', 'set_ldisc', 'wait_until_sent', 'send_xchar', 'tiocmget', 'tiocmset', 'resize', 'get_icount', 'get_serial', 'set_serial', 'show_fdinfo', 'poll_init', 'poll_get_char', 'poll_put_char', 'proc_show'];
const LDISC_OPS = ['open', 'close', 'flush_buffer', 'read', 'write', 'ioctl', 'compat_ioctl', 'set_termios', 'poll', 'hangup', 'receive_buf', 'write_wakeup', 'dcd_change', 'receive_buf2', 'lookahead_buf'];

/**
 * tty drivers (tty_drivers list → driver->ops) and line disciplines (tty_ldiscs[] → tty_ldisc_ops):
 * an operation is expected in the kernel text when the owner is built in, or in the owner module.
 * Rows only for operations that are elsewhere (the classic receive_buf / write keylogger hooks).
 */
export function ttyHooks(ctx: LinuxContext, mods: ModuleMap): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const out: RawHook[] = [];
  const check = (kind: string, target: string, targetAddr: bigint, struct: string, opsAddr: bigint, names: string[], owner: bigint) => {
    const ownerName = owner === 0n ? null : ctx.safe('tty owner', () => mods.modules.find((m) => m.addr === owner)?.name ?? null, null);
    for (const op of names) {
      if (!v.has(struct, op)) continue;
      const slot = opsAddr + BigInt(v.off(struct, op));
      const fn = ctx.safe(`${struct}.${op} at ${hex(slot)}`, () => v.ptr(slot), 0n);
      if (fn === 0n || mods.inKernelText(fn)) continue;
      const o = mods.owner(fn);
      if (o.module && (o.module.addr === owner || (ownerName !== null && o.module.name === ownerName))) continue;
      out.push({ kind, target_symbol: target, target_address: targetAddr, location: slot, object_address: opsAddr, handler: fn, hook_point: op, detail: `${struct} of ${target}${ownerName ? ` (owner ${ownerName})` : ' (built in)'}`, anomaly: `${struct}.${op} outside its owner (${ownerName ?? 'kernel'})` });
    }
  };
  const head = syms.get('tty_drivers');
  if (head !== undefined && v.has('tty_driver', 'tty_drivers')) {
    for (const d of v.list(head, v.off('tty_driver', 'tty_drivers'), MAX_TTY_DRIVERS, (m) => ctx.warn(`tty_drivers: ${m}`))) {
      ctx.safe(`tty_driver ${hex(d)}`, () => {
        const ops = v.p(d, 'tty_driver', 'ops');
        if (ops === 0n) return;
        const str = (m: string) => {
          const p = v.p(d, 'tty_driver', m);
          return p === 0n ? '' : ctx.safe(`tty driver ${m}`, () => v.cstr(p, 64), '');
        };
        const name = str('driver_name') || str('name') || hex(d);
        check('tty_ops', name, d, 'tty_operations', ops, TTY_OPS, v.p(d, 'tty_driver', 'owner'));
      }, undefined);
    }
  }
  const ldiscs = syms.get('tty_ldiscs');
  if (ldiscs !== undefined && v.has('tty_ldisc_ops', 'receive_buf')) {
    const arr = ctx.safe('tty_ldiscs', () => v.bytes(ldiscs, NR_LDISCS * 8), null);
    for (let i = 0; arr && i < NR_LDISCS; i++) {
      const ops = arr.readBigUInt64LE(i * 8);
      if (ops === 0n) continue;
      ctx.safe(`tty_ldisc_ops ${hex(ops)}`, () => {
        const name = ctx.safe('ldisc name', () => v.cstr(v.p(ops, 'tty_ldisc_ops', 'name'), 64), `ldisc ${i}`);
        check('tty_ldisc', name, ops, 'tty_ldisc_ops', ops, LDISC_OPS, v.p(ops, 'tty_ldisc_ops', 'owner'));
      }, undefined);
    }
  }
  return out;
}
