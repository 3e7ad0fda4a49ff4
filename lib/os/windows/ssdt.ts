// SSDT (KeServiceDescriptorTable → KiServiceTable): x64 entries are 32-bit values whose upper 28 bits
// are a signed offset from the table base (low 4 bits: argument count). A handler outside the kernel
// image is a hook; handlers are named by the Nt* function RVAs kept from the ISF.
import type { Row } from '../../model';
import { isKernelPtr } from './memory';
import type { WinCtx } from './processes';

const MAX_SERVICES = 4096;

function ntName(ctx: WinCtx, rva: number): string | null {
  const fns = ctx.L.build.ntFunctions;
  let lo = 0;
  let hi = fns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fns[mid][0] === rva) return fns[mid][1];
    if (fns[mid][0] < rva) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

export function ssdtRows(ctx: WinCtx, drivers: Row<'kernel_module'>[]): Row<'syscall'>[] {
  const { k, L } = ctx;
  const out: Row<'syscall'>[] = [];
  const sdt = L.sym('KeServiceDescriptorTable');
  if (sdt === null || k.kernBase === null) return out;
  const desc = k.mem.read(k.kernBase + BigInt(sdt), 0x20);
  if (!desc) {
    ctx.warn('KeServiceDescriptorTable unreadable: no SSDT');
    return out;
  }
  const base = desc.readBigUInt64LE(0);
  const count = desc.readUInt32LE(0x10);
  if (!isKernelPtr(base) || count === 0 || count > MAX_SERVICES) {
    ctx.warn(`KeServiceDescriptorTable looks invalid (base 0x${base.toString(16)}, ${count} services)`);
    return out;
  }
  const tab = k.mem.read(base, count * 4);
  if (!tab) {
    ctx.warn('KiServiceTable unreadable: no SSDT');
    return out;
  }
  const kEnd = k.kernBase + BigInt(k.kernelSize ?? 0);
  for (let i = 0; i < count; i++) {
    const handler = base + BigInt(tab.readInt32LE(i * 4) >> 4);
    const inKernel = handler >= k.kernBase && handler < kEnd;
    const d = drivers.find((m) => handler >= m.base && handler < m.base + BigInt(m.size));
    const module = d ? d.name : inKernel ? 'ntoskrnl.exe' : null;
    out.push({
      table_name: 'ssdt',
      index: i,
      handler,
      symbol: inKernel ? ntName(ctx, Number(handler - k.kernBase)) : null,
      module,
      hooked: !inKernel,
    });
  }
  return out;
}
