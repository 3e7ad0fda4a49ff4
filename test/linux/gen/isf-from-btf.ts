// Writes a Volatility-3-format ISF (user_types / base_types / enums, dwarf2json style: anonymous
// members as "unnamed_field_N" of types "unnamed_<id>") for the structs memq reads, taken from a
// kernel's BTF. Used to test memq's ISF layout reader on a kernel whose BTF is then hidden.
import { Btf } from '../../../lib/symbols/btf';

const ROOTS = [
  'task_struct', 'mm_struct', 'vm_area_struct', 'file', 'path', 'dentry', 'qstr', 'inode', 'super_block', 'vfsmount',
  'mount', 'fs_struct', 'cred', 'signal_struct', 'files_struct', 'fdtable', 'socket', 'sock', 'sock_common', 'unix_sock',
  'unix_address', 'module', 'module_memory', 'module_layout', 'module_kobject', 'maple_tree', 'maple_range_64',
  'maple_arange_64', 'vm_special_mapping', 'printk_ringbuffer', 'prb_desc_ring', 'prb_data_ring', 'prb_desc',
  'prb_data_blk_lpos', 'printk_info', 'list_head', 'hlist_bl_node',
  // namespaces, cgroups, mounts (lib/os/linux/namespaces.ts, mounts.ts)
  'nsproxy', 'ns_common', 'uts_namespace', 'new_utsname', 'pid_namespace', 'mnt_namespace', 'net', 'ipc_namespace',
  'cgroup_namespace', 'user_namespace', 'time_namespace', 'pid', 'upid', 'css_set', 'cgroup', 'kernfs_node',
  'file_system_type', 'rb_node',
  // cross-views (#16): PID IDR, module address tree, module_kset — a real Volatility ISF has every struct
  'pid_namespace', 'idr', 'xarray', 'xa_node', 'pid', 'mod_tree_root', 'mod_tree_node', 'latch_tree_root', 'rb_node', 'kset', 'kobject',
];

type IsfType = Record<string, unknown>;

export function isfFromBtf(btf: Btf): object {
  const user: Record<string, { kind: string; size: number; fields: Record<string, { offset: number; type: IsfType }> }> = {};
  const base: Record<string, { size: number; signed: boolean; kind: string; endian: string }> = {
    pointer: { size: 8, signed: false, kind: 'int', endian: 'little' },
  };
  const queue: number[] = [];
  const nameOf = (id: number) => btf.types[id].name || `unnamed_${id}`;
  const typeRef = (id: number, depth = 0): IsfType => {
    const t = btf.resolve(id);
    if (!t || depth > 8) return { kind: 'base', name: 'void' };
    switch (t.kind) {
      case 1: case 16: {
        base[t.name] = { size: t.sizeOrType, signed: !t.name.includes('unsigned'), kind: t.kind === 16 ? 'float' : 'int', endian: 'little' };
        return { kind: 'base', name: t.name };
      }
      case 2: return { kind: 'pointer', subtype: { kind: 'base', name: 'void' } };
      case 3: {
        const [elem, , n] = btf.arrayInfo(t);
        return { kind: 'array', count: n, subtype: typeRef(elem, depth + 1) };
      }
      case 4: case 5:
        if (!user[nameOf(t.id)]) queue.push(t.id);
        return { kind: t.kind === 4 ? 'struct' : 'union', name: nameOf(t.id) };
      case 6: case 19:
        base[`enum_${t.sizeOrType}`] = { size: t.sizeOrType, signed: false, kind: 'int', endian: 'little' };
        return { kind: 'base', name: `enum_${t.sizeOrType}` };
      default: return { kind: 'base', name: 'void' };
    }
  };
  for (const r of ROOTS) {
    const t = btf.findStruct(r);
    if (t) queue.push(t.id);
  }
  // the unnamed struct type of tk_core (its timekeeper member gives the boot time)
  for (const t of btf.types) {
    if (t.kind === 4 && !t.name && t.vlen === 2 && (btf as unknown as { blob: Buffer }).blob && readStr(btf, (btf as unknown as { blob: Buffer }).blob.readUInt32LE(t.dataOff + 12)) === 'timekeeper') queue.push(t.id);
  }
  base.void = { size: 0, signed: false, kind: 'void', endian: 'little' };
  while (queue.length && Object.keys(user).length < 4000) {
    const id = queue.shift()!;
    const t = btf.types[id];
    const name = nameOf(id);
    if (user[name]) continue;
    const entry = { kind: t.kind === 4 ? 'struct' : 'union', size: t.sizeOrType, fields: {} as Record<string, { offset: number; type: IsfType }> };
    user[name] = entry;
    const blob = (btf as unknown as { blob: Buffer }).blob;
    let anon = 0;
    for (let i = 0; i < t.vlen; i++) {
      const o = t.dataOff + i * 12;
      const mname = readStr(btf, blob.readUInt32LE(o));
      const mtype = blob.readUInt32LE(o + 4);
      const raw = blob.readUInt32LE(o + 8);
      const bitOff = t.kindFlag ? raw & 0xffffff : raw;
      const bitSize = t.kindFlag ? raw >>> 24 : 0;
      const byteOff = Math.floor(bitOff / 8);
      let type = typeRef(mtype);
      if (bitSize) type = { kind: 'bitfield', bit_position: bitOff % 8, bit_length: bitSize, type };
      entry.fields[mname || `unnamed_field_${anon++}`] = { offset: byteOff, type };
    }
  }
  return { metadata: { format: '6.2.0', producer: { name: 'memq-test-isf-from-btf', version: '1' }, linux: {} }, base_types: base, user_types: user, enums: {}, symbols: {} };
}

function readStr(btf: Btf, off: number): string {
  return (btf as unknown as { str(o: number): string }).str(off);
}
