/**
 * SCRAM-SHA-256 password verifiers (RFC 5802, RFC 7677, in PostgreSQL's stored format). `CREATE ROLE … PASSWORD`
 * with a verifier instead of the password keeps the clear password out of the server's statement log,
 * `pg_stat_activity` and `pg_stat_statements`: the server never sees it until the user logs in with it.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const derive = promisify(pbkdf2);
/** PostgreSQL's default `scram_iterations`. */
const ITERATIONS = 4096;

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, all base64. */
export async function scramVerifier(password: string): Promise<string> {
  const salt = randomBytes(16);
  // PBKDF2 runs on libuv's thread pool, so fifty concurrent issues do not block the event loop.
  const salted = await derive(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
