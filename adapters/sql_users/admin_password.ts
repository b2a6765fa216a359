/** Reads what the admin connection of a database mount needs (its password, its TLS trust) once, at start-up. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The password; throws a message naming the source (never the value) when it is missing or empty. */
export function adminPassword(source: { password_env?: string | undefined; password_file?: string | undefined }, configDir: string, env: NodeJS.ProcessEnv): string {
  if (source.password_env !== undefined) {
    const value = env[source.password_env];
    if (value === undefined || value === '') throw new Error(`admin password: environment variable ${source.password_env} is not set`);
    return value;
  }
  const file = resolve(configDir, source.password_file!);
  const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (value === '') throw new Error(`admin password: file ${file} is empty`);
  return value;
}

/** The driver's TLS options (both drivers take Node's): undefined without `tls`; with it, the server is always verified. */
export function serverTls(
  tls: { ca_file?: string | undefined; servername?: string | undefined } | undefined,
  configDir: string,
): { rejectUnauthorized: true; ca?: Buffer; servername?: string } | undefined {
  if (tls === undefined) return undefined;
  // Read at start-up so that a missing CA file stops the gateway before it serves, not at the first issue.
  const ca = tls.ca_file === undefined ? undefined : readFileSync(resolve(configDir, tls.ca_file));
  return { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }), ...(tls.servername === undefined ? {} : { servername: tls.servername }) };
}
