/** The source network of a client address: the prefix an anomaly signal compares, not the exact address. */
import { isIPv4, isIPv6 } from 'node:net';

/** Expands an IPv6 address to its 8 groups (numbers); undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => 0), ...right];
}

/** `10.1.2.0/24` or `2001:db8:0:0::/64` for an address; undefined for anything that is not an IP address. */
export function sourceNetwork(address: string | undefined, ipv4Prefix: number, ipv6Prefix: number): string | undefined {
  if (address === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped?.[1] ?? (isIPv4(address) ? address : undefined);
  if (v4 !== undefined) {
    const value = v4.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const masked = ipv4Prefix === 0 ? 0 : Math.floor(value / 2 ** (32 - ipv4Prefix)) * 2 ** (32 - ipv4Prefix);
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256);
    return `${octets.join('.')}/${ipv4Prefix}`;
  }
  const groups = ipv6Groups(address);
  if (groups === undefined) return undefined;
  const masked = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, ipv6Prefix - i * 16));
    return keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${ipv6Prefix}`;
}
