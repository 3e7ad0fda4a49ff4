// Hex helpers shared by every layer. 64-bit addresses are bigint in memory and fixed-width
// 18-character lowercase hex strings ('0x' + 16 digits) at rest, so string order == numeric order.
export function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

const MASK64 = (1n << 64n) - 1n;

/** Canonical at-rest form of a 64-bit address: '0x' + 16 lowercase hex digits. */
export function addr(v: bigint | number): string {
  const b = (typeof v === 'bigint' ? v : BigInt(v)) & MASK64;
  return '0x' + b.toString(16).padStart(16, '0');
}

/** Parses '0x…' or decimal text into a bigint; throws on garbage. */
export function parseBigInt(text: string): bigint {
  const t = text.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(t)) throw new Error(`not a number: ${text}`);
  return BigInt(t);
}
