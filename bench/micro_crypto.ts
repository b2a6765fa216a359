/** `node bench/micro_crypto.ts`: per-call cost of createHmac with a Buffer vs a KeyObject key, and RS256 verify via node:crypto vs WebCrypto. */
import { createHmac, createSecretKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { parseFlags } from '../src/cli/flags.ts';
parseFlags({ name: 'node bench/micro_crypto.ts', usage: 'node bench/micro_crypto.ts   (no options: HMAC key forms and RS256 verify, per call)', options: {} });
const buf = randomBytes(32); const ko = createSecretKey(buf); const data = 'x'.repeat(300);
for (const [name, k] of [['buffer', buf], ['keyobject', ko]] as const) {
  for (let r = 0; r < 2; r++) { const t = performance.now(); for (let i = 0; i < 100000; i++) createHmac('sha256', k).update(data).digest(); process.stdout.write(`${[name, ((performance.now() - t) * 10).toFixed(2), 'ns/op'].join(' ')}\n`); }
}
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const s = sign('sha256', Buffer.from(data), privateKey);
let start = performance.now(); for (let i = 0; i < 5000; i++) verify('sha256', Buffer.from(data), publicKey, s); process.stdout.write(`${['node verify', ((performance.now() - start) / 5).toFixed(1), 'us/op'].join(' ')}\n`);
const ck = publicKey.toCryptoKey({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
start = performance.now(); for (let i = 0; i < 5000; i++) await crypto.subtle.verify('RSASSA-PKCS1-v1_5', ck, s, Buffer.from(data)); process.stdout.write(`${['webcrypto verify', ((performance.now() - start) / 5).toFixed(1), 'us/op'].join(' ')}\n`);
start = performance.now(); for (let i = 0; i < 100000; i++) createHmac('sha256', createSecretKey(buf)).update(data).digest(); process.stdout.write(`${['createSecretKey+hmac', ((performance.now() - start) * 10).toFixed(2), 'ns/op'].join(' ')}\n`);
