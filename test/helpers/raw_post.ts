/** A POST over mTLS that returns status and headers as they are (the SDK client hides Retry-After). */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POSTs `body` verbatim to `url` + `route` as client `as` of a test state folder `dir`. */
export function rawPost(dir: string, url: string, route: string, as: string, body: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(route, url), {
      method: 'POST',
      ca: readFileSync(path.join(dir, 'pki', 'ca.crt')),
      cert: readFileSync(path.join(dir, 'clients', `${as}.crt`)),
      key: readFileSync(path.join(dir, 'clients', `${as}.key`)),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
