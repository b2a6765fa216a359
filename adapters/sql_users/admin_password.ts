/** Reads the admin password of a database mount from its environment variable or file, once, at start-up. */
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

/** The CA bundle named by tls options, read at start-up. */
export function tlsCa(tls: { ca_file?: string | undefined } | undefined, configDir: string): Buffer | undefined {
  return tls?.ca_file === undefined ? undefined : readFileSync(resolve(configDir, tls.ca_file));
}
