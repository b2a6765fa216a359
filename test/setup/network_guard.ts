/**
 * Preloaded into every test process (see .mocharc.json): refuses any TCP connection or DNS lookup that is not
 * loopback, so an SDK that falls back to a cloud metadata endpoint fails the test at once instead of leaving
 * the machine. Unix sockets are allowed.
 */
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost']);

export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (LOOPBACK_NAMES.has(h.toLowerCase())) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h.toLowerCase().startsWith('::ffff:127.');
  return false;
}

function refuse(what: string): never {
  throw new Error(`network guard: ${what} is outside loopback; tests may only reach 127.0.0.0/8 and ::1`);
}

type ConnectArgs = [unknown, ...unknown[]];
const originalConnect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs): net.Socket {
  const [first, second] = args;
  let host: unknown;
  let path: unknown;
  if (Array.isArray(first)) {
    const options = first[0] as { host?: string; path?: string } | undefined;
    host = options?.host;
    path = options?.path;
  } else if (typeof first === 'object' && first !== null) {
    host = (first as { host?: string }).host;
    path = (first as { path?: string }).path;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof second === 'string' ? second : 'localhost';
  } else if (typeof first === 'string') {
    path = first;
  }
  if (path === undefined && !isLoopback(typeof host === 'string' ? host : 'localhost')) refuse(`connect to ${String(host)}`);
  return originalConnect.apply(this, args);
} as typeof net.Socket.prototype.connect;

const originalLookup = dns.lookup;
const guardedLookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopback(hostname)) {
    const callback = rest[rest.length - 1];
    const err = Object.assign(new Error(`network guard: DNS lookup of ${hostname} refused`), { code: 'ENOTFOUND' });
    if (typeof callback === 'function') {
      process.nextTick(() => (callback as (e: Error) => void)(err));
      return undefined;
    }
    throw err;
  }
  return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
};
dns.lookup = guardedLookup as typeof dns.lookup;
const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = (async (hostname: string, ...rest: unknown[]) => {
  if (!isLoopback(hostname)) refuse(`DNS lookup of ${hostname}`);
  return (originalPromiseLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
}) as typeof dns.promises.lookup;
