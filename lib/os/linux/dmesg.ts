// Kernel log from the lockless printk ring buffer (kernels ≥ 5.10: `prb` → printk_ringbuffer with a
// descriptor ring and a text data ring). Every finalized/committed record from tail to head is read —
// including the newest one.
import type { Row } from '../../model';
import type { LinuxContext } from './context';

const DESC_SV_BITS = 64n;
const DESC_FLAGS_SHIFT = DESC_SV_BITS - 2n;
const DESC_ID_MASK = (1n << DESC_FLAGS_SHIFT) - 1n;
const DESC_COMMITTED = 1n;
const DESC_FINALIZED = 2n;
const MAX_RECORDS = 1 << 20;

export function dmesgRows(ctx: LinuxContext): Row<'kernel_log'>[] {
  const v = ctx.v;
  const prbSym = ctx.k.syms.get('prb');
  if (prbSym === undefined || !v.types.hasStruct('printk_ringbuffer')) {
    ctx.warn('kernel log: printk ring buffer (prb) not found — legacy log_buf kernels are not supported');
    return [];
  }
  const prb = v.ptr(prbSym);
  const dr = prb + BigInt(v.off('printk_ringbuffer', 'desc_ring'));
  const tr = prb + BigInt(v.off('printk_ringbuffer', 'text_data_ring'));
  const countBits = v.u32(dr + BigInt(v.off('prb_desc_ring', 'count_bits')));
  if (countBits > 24) {
    ctx.warn(`kernel log: implausible desc count_bits ${countBits}`);
    return [];
  }
  const count = 1n << BigInt(countBits);
  const descs = v.p(dr, 'prb_desc_ring', 'descs');
  const infos = v.p(dr, 'prb_desc_ring', 'infos');
  const head = v.u64(dr + BigInt(v.off('prb_desc_ring', 'head_id')));
  const tail = v.u64(dr + BigInt(v.off('prb_desc_ring', 'tail_id')));
  const sizeBits = v.u32(tr + BigInt(v.off('prb_data_ring', 'size_bits')));
  const dataSize = 1n << BigInt(sizeBits);
  const data = v.p(tr, 'prb_data_ring', 'data');
  const descSize = BigInt(v.size('prb_desc'));
  const infoSize = BigInt(v.size('printk_info'));
  const svOff = BigInt(v.off('prb_desc', 'state_var'));
  const lposOff = BigInt(v.off('prb_desc', 'text_blk_lpos'));
  const beginOff = BigInt(v.off('prb_data_blk_lpos', 'begin'));
  const nextOff = BigInt(v.off('prb_data_blk_lpos', 'next'));
  const out: Row<'kernel_log'>[] = [];
  let n = 0;
  for (let id = tail; n < MAX_RECORDS; id = (id + 1n) & DESC_ID_MASK, n++) {
    const idx = id & (count - 1n);
    const d = descs + idx * descSize;
    const rec = ctx.safe(`log record ${id}`, () => {
      const sv = v.u64(d + svOff);
      const state = sv >> DESC_FLAGS_SHIFT;
      if ((sv & DESC_ID_MASK) !== id || (state !== DESC_COMMITTED && state !== DESC_FINALIZED)) return null;
      const info = infos + idx * infoSize;
      const textLen = v.num(info, 'printk_info', 'text_len');
      const begin = v.u64(d + lposOff + beginOff);
      const next = v.u64(d + lposOff + nextOff);
      let text = '';
      if (textLen > 0 && (begin & 1n) === 0n) {
        // data blocks start with an unsigned long id; a block that wraps lives at the ring start
        const wraps = begin / dataSize !== next / dataSize;
        const off = wraps ? 0n : begin & (dataSize - 1n);
        text = v.bytes(data + off + 8n, Math.min(textLen, 4096)).toString('utf8');
      }
      const flagsLevel = v.num(info, 'printk_info', 'level');
      return {
        sequence: v.n64(info + BigInt(v.off('printk_info', 'seq'))),
        timestamp_ns: v.n64(info + BigInt(v.off('printk_info', 'ts_nsec'))),
        level: flagsLevel,
        facility: v.num(info, 'printk_info', 'facility'),
        message: text,
      };
    }, null);
    if (rec) out.push(rec);
    if (id === head) break;
  }
  return out;
}
