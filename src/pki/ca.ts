/**
 * A small X.509 certificate authority on @peculiar/x509 (node has no certificate *writer*): ECDSA P-256 keys,
 * a self-signed CA, server certificates for the listener and client certificates carrying a SPIFFE-style URI
 * SAN. Used by the embedded default and by tests; the executor CA of issue 8 builds on it.
 */
// @peculiar/x509 resolves its internals through tsyringe, which needs the reflect-metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type X509Key = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedPem {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends IssuedPem {
  signer: { cert: x509.X509Certificate; key: CryptoKey };
}

async function toPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const serial = (): string => {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
};

/** A new self-signed CA valid for `days`. */
export async function createCa(name: string, days = 3650): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    keys: keys as unknown as X509Key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509Key['publicKey']),
    ],
  });
  return { cert: cert.toString('pem'), key: await toPem(keys.privateKey), signer: { cert, key: keys.privateKey } };
}

/** Loads a CA from PEM (certificate and PKCS#8 key). */
export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decode(keyPem)[0]!;
  const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  return { cert: certPem, key: keyPem, signer: { cert, key } };
}

export interface LeafOptions {
  commonName: string;
  usage: 'server' | 'client';
  dns?: string[];
  ips?: string[];
  uri?: string;
  /** Lifetime in ms (default 1 year). */
  lifetimeMs?: number;
  /** Use this public key (from a CSR) instead of generating a key pair. */
  publicKey?: CryptoKey;
  /** Issue time, epoch ms (default: the wall clock). */
  now?: number;
}

/** Issues a leaf certificate signed by `ca`; `key` is empty when `publicKey` was supplied. */
export async function issueLeaf(ca: CertificateAuthority, options: LeafOptions): Promise<IssuedPem> {
  const keys = options.publicKey === undefined ? ((await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair) : undefined;
  const publicKey = options.publicKey ?? keys!.publicKey;
  const names: x509.JsonGeneralName[] = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.uri === undefined ? [] : [{ type: 'url' as const, value: options.uri }]),
  ];
  const now = options.now ?? Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}`,
    issuer: ca.signer.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (options.lifetimeMs ?? 365 * DAY_MS)),
    signingKey: ca.signer.key as unknown as X509Key['privateKey'],
    publicKey: publicKey as unknown as X509Key['publicKey'],
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.signer.cert),
    ],
  });
  return { cert: cert.toString('pem'), key: keys === undefined ? '' : await toPem(keys.privateKey) };
}
