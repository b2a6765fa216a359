/**
 * Reading a certificate signing request from an executor: only its public key is used, and only after the
 * CSR's self-signature proves the requester holds the matching private key. Subject and extensions in the CSR
 * are ignored on purpose: the certificate's names come from the registration, never from the requester.
 */
import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { deny } from '../errors.ts';

const MAX_CSR_BYTES = 16_384;

type CryptoKey = webcrypto.CryptoKey;

/** Accepted subject keys: ECDSA P-256/P-384, Ed25519, or RSA of at least 2048 bits. */
function acceptableKey(key: CryptoKey): boolean {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  if (algorithm.name === 'ECDSA') return algorithm.namedCurve === 'P-256' || algorithm.namedCurve === 'P-384';
  if (algorithm.name === 'Ed25519') return true;
  if (algorithm.name.startsWith('RSA')) return (algorithm.modulusLength ?? 0) >= 2048;
  return false;
}

/** The CSR's public key once its proof of possession verifies; `malformed` at step shape otherwise. */
export async function publicKeyFromCsr(pem: string): Promise<CryptoKey> {
  const refuse = (reason: string, detail: string) => deny('malformed', 'shape', `csr: ${reason}`, detail);
  if (pem.length > MAX_CSR_BYTES) throw refuse('too large', 'csr is too large');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    throw refuse('not a PKCS#10 request', 'csr must be a PEM PKCS#10 certificate request');
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw refuse('signature does not verify with its own public key', 'csr signature does not verify');
  let key: CryptoKey;
  try {
    key = await csr.publicKey.export();
  } catch {
    throw refuse('public key cannot be imported', 'csr public key type is not supported');
  }
  if (!acceptableKey(key)) throw refuse(`key ${key.algorithm.name} is not accepted`, 'csr key must be ECDSA P-256/P-384, Ed25519 or RSA ≥ 2048');
  return key;
}
