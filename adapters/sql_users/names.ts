/**
 * Names and passwords of per-job database users. A name is the mount's prefix, a slug of the tenant and of the
 * job, and random characters, cut to fit the server's identifier limit: readable in `pg_stat_activity` and
 * `PROCESSLIST`, unique without asking the server, and made only of `[a-z0-9_]` whatever the job id holds, so
 * it never depends on escaping to be safe (it is still quoted as an identifier everywhere).
 */
import { randomBytes } from 'node:crypto';

/** Random part of a user name: 10 base-32 characters, 50 bits. */
const RANDOM_CHARS = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase letters and digits of `text`, at most `max` of them. */
function slug(text: string, max: number): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '').slice(0, Math.max(0, max));
}

function randomPart(): string {
  const bytes = randomBytes(RANDOM_CHARS);
  let out = '';
  for (const byte of bytes) out += BASE32[byte & 31];
  return out;
}

/** `<prefix><tenant>_<job>_<random>`, never longer than `limit` characters (all ASCII, so bytes too). */
export function userName(prefix: string, tenant: string, jobId: string, limit: number): string {
  const budget = limit - prefix.length - RANDOM_CHARS - 2;
  if (budget < 2) throw new Error(`username prefix "${prefix}" leaves no room under the ${limit}-character limit`);
  const tenantPart = slug(tenant, Math.floor(budget * 0.4)) || 't';
  const jobPart = slug(jobId.replace(/^job_/, ''), budget - tenantPart.length) || 'j';
  return `${prefix}${tenantPart}_${jobPart}_${randomPart()}`;
}

/** A fresh password: 32 characters of base64url (192 bits). Safe inside quoted literals and URIs. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}
