/**
 * Talking to the bootstrap listener as a caller without a client certificate: JSON requests with an optional
 * bearer token, refusals thrown as CrefgateError (so `refused()` applies), and CSRs made with WebCrypto.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import https from 'node:https';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { CrefgateError } from '../../src/client/index.ts';
import type { Config } from '../../src/config/schema.ts';
import type { TestGateway } from './gateway.ts';

type X509Keys = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Config of a bootstrap listener on a free loopback port that signs with the fixture's CA (`pki/`). */
export function bootstrapListener(certificateLifetimeSeconds = 86_400): NonNullable<Config['bootstrap']> {
  return { host: '127.0.0.1', port: 0, ca_cert_file: 'pki/ca.crt', ca_key_file: 'pki/ca.key', certificate_lifetime_seconds: certificateLifetimeSeconds, join_token_ttl_seconds: 600 };
}

type OidcIssuer = Config['oidc']['issuers'][number];

/** An OIDC issuer as the tests trust one (audience `crefgate`, RS256), mapping claims to `executors`. */
export function oidcIssuer(issuer: string, executors: OidcIssuer['executors'], jwksCooldownSeconds = 0): OidcIssuer {
  return { issuer, audiences: ['crefgate'], algorithms: ['RS256'], jwks_cooldown_seconds: jwksCooldownSeconds, jwks_cache_seconds: 600, executors };
}

/** The bootstrap listener's base URL. */
export function bootstrapUrl(gw: TestGateway): string {
  const address = gw.gateway.bootstrap!.server.address() as { port: number };
  return `https://127.0.0.1:${address.port}`;
}

/** One request to the bootstrap listener; resolves the JSON body, throws CrefgateError on a refusal. */
export async function bootstrapCall<T>(gw: TestGateway, pathName: string, body: string | object, bearer?: string): Promise<T> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const ca = readFileSync(path.join(gw.dir, 'pki', 'ca.crt'));
  return await new Promise<T>((resolve, reject) => {
    const req = https.request(new URL(pathName, bootstrapUrl(gw)), {
      method: 'POST',
      ca,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { error?: { code: string; message: string; request_id: string } };
        if ((res.statusCode ?? 500) >= 400) reject(new CrefgateError(res.statusCode ?? 0, parsed.error?.code ?? 'unknown', parsed.error?.message ?? '', parsed.error?.request_id));
        else resolve(parsed as T);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface CsrPair {
  csr: string;
  keyPem: string;
}

/** A CSR asking for whatever names an attacker likes; `signWith` signs it with another key (no proof of possession). */
export async function makeCsr(options: { subject?: string; uri?: string; signWith?: webcrypto.CryptoKey } = {}): Promise<CsrPair> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const signer = options.signWith ?? keys.privateKey;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject ?? 'CN=whoever',
    keys: { publicKey: keys.publicKey, privateKey: signer } as unknown as X509Keys,
    signingAlgorithm: EC,
    extensions: options.uri === undefined ? [] : [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: options.uri }])],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csr: csr.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}

/** A private key that signs nothing of its own (for mismatched CSRs). */
export async function strayKey(): Promise<webcrypto.CryptoKey> {
  return ((await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair).privateKey;
}
