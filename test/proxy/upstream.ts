/**
 * A local HTTPS upstream for the proxy tests (throwaway CA, 127.0.0.1): it counts and records every request it
 * receives, answers a tiny GitHub-like REST API only when the injected credential is the expected one, verifies
 * AWS SigV4 signatures against the credentials it is told about (sigv4_verify.ts), and offers misbehaving paths:
 * redirects, header echo, a response that never ends.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createThrowawayPki } from '../helpers/throwaway_ca.ts';
import { verifySigV4 } from './sigv4_verify.ts';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export class Upstream {
  readonly received: Received[] = [];
  /** Exact `authorization` value the REST paths accept. */
  expectedAuthorization = '';
  /** SigV4 keys the AWS path accepts, by access key id. */
  readonly awsKeys = new Map<string, { secretAccessKey: string; sessionToken?: string | undefined }>();
  caCert = '';
  /** TLS connections accepted (the proxy should keep a few alive, not open one per request). */
  connections = 0;
  private server: https.Server | undefined;
  private readonly hanging = new Set<ServerResponse>();

  get origin(): string {
    return `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get count(): number {
    return this.received.length;
  }

  async start(): Promise<void> {
    const pki = await createThrowawayPki('proxy-upstream-ca');
    this.caCert = pki.caCert;
    this.server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        this.answer(req, res, body);
      });
    });
    this.server.on('secureConnection', () => {
      this.connections += 1;
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url!;
    if (req.method === 'POST' && url === '/' && req.headers['x-amz-target'] !== undefined) return this.aws(req, res, body);
    if (url.startsWith('/redirect-out/echo')) return this.json(res, 302, {}, { location: `https://${String(req.headers.authorization).replace(/^token /, '')}.attacker.example/steal` });
    if (url.startsWith('/redirect-out')) return this.json(res, 302, {}, { location: 'https://attacker.example/steal' });
    if (url.startsWith('/redirect-in/unparsable')) return this.json(res, 302, {}, { location: 'https://[' });
    if (url.startsWith('/redirect-in')) return this.json(res, 302, {}, { location: '/repos/octo/in-target' });
    // An upstream that puts the credential it received into a redirect (e.g. `?access_token=`): it must not reach the executor.
    if (url.startsWith('/redirect-echo')) return this.json(res, 302, {}, { location: `/repos/octo/in-target?access_token=${String(req.headers.authorization).replace(/^token /, '')}` });
    if (url.startsWith('/echo')) return this.json(res, 200, { echoed: true }, { 'x-echo-authorization': String(req.headers.authorization) });
    if (url.startsWith('/slow')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      this.hanging.add(res);
      return;
    }
    if (req.headers.authorization !== this.expectedAuthorization) return this.json(res, 401, { message: 'Bad credentials' });
    const repo = /^\/repos\/([^/?]+)\/([^/?]+)/.exec(url);
    if (req.method === 'GET' && repo !== null) {
      return this.json(res, 200, { id: 1, name: repo[2], full_name: `${repo[1]}/${repo[2]}`, private: true, owner: { login: repo[1] } });
    }
    if (req.method === 'POST' && repo !== null) return this.json(res, 201, { created: true, size: body.length });
    return this.json(res, 404, { message: 'Not Found' });
  }

  private aws(req: IncomingMessage, res: ServerResponse, body: string): void {
    const problem = verifySigV4(req, body, 'secretsmanager', 'eu-west-1', (id) => this.awsKeys.get(id));
    if (problem !== undefined) {
      return this.json(res, 403, { __type: 'SignatureDoesNotMatch', message: problem }, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'r-1' });
    }
    const { SecretId } = JSON.parse(body) as { SecretId: string };
    const text = JSON.stringify({ ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}`, Name: SecretId, VersionId: 'v1', SecretString: 'upstream-data', VersionStages: ['AWSCURRENT'], CreatedDate: 1_763_870_000 });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'r-2', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  /** Requests whose URL starts with `prefix`. */
  countOf(prefix: string): number {
    return this.received.filter((r) => r.url.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}
