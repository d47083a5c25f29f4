/** IPv4 CIDR arithmetic for validation and subnet layout. Pure. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined unless it is a valid block whose host bits are zero. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  if ((base & ~mask(prefix)) >>> 0 !== 0) return undefined;
  return { base, prefix };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

/** The `index`-th block of `newPrefix` inside `parent` (like Terraform's cidrsubnet). */
export function subnet(parent: Cidr, newPrefix: number, index: number): Cidr {
  if (newPrefix < parent.prefix || newPrefix > 32) throw new RangeError(`prefix /${newPrefix} does not fit in /${parent.prefix}`);
  const count = 2 ** (newPrefix - parent.prefix);
  if (index < 0 || index >= count) throw new RangeError(`subnet index ${index} outside 0..${count - 1}`);
  return { base: (parent.base + index * 2 ** (32 - newPrefix)) >>> 0, prefix: newPrefix };
}

/** The address at `offset` inside the block (offset 10 of 10.96.0.0/12 is 10.96.0.10). */
export function addressAt(c: Cidr, offset: number): string {
  return formatIp((c.base + offset) >>> 0);
}
