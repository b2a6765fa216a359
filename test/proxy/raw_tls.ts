/**
 * Sends raw bytes to the gateway over an mTLS connection and returns whatever comes back before the server
 * closes or goes quiet: for requests no well-behaved HTTP client would send (smuggling, CRLF, absolute-form).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

export interface RawReply {
  status: number;
  text: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

export function rawTls(dir: string, port: number, bytes: string, as = 'executor', quietMs = 400): Promise<RawReply> {
  return new Promise<RawReply>((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(path.join(dir, 'pki', 'ca.crt')),
      cert: readFileSync(path.join(dir, 'clients', `${as}.crt`)),
      key: readFileSync(path.join(dir, 'clients', `${as}.key`)),
      servername: 'localhost',
    });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text, closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), quietMs);
    };
    socket.on('secureConnect', () => {
      socket.write(bytes);
      quiet();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      quiet();
    });
    socket.on('end', () => done(true));
    socket.on('close', () => done(true));
    socket.on('error', (err) => (chunks.length > 0 ? done(true) : reject(err)));
  });
}
