/** The GitHub App private key, loaded and checked at start-up. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterContext } from '../contract.ts';
import type { GitHubAppOptions } from './options.ts';

/**
 * Loads and parses the App private key at start-up, so a missing or broken key stops the gateway before it
 * serves. Error messages name where the key was expected, never any of its bytes.
 */
export function loadPrivateKey(options: GitHubAppOptions, context: AdapterContext, env: NodeJS.ProcessEnv): KeyObject {
  let pem: string;
  const where = options.private_key_env !== undefined ? `env ${options.private_key_env}` : `file ${options.private_key_file}`;
  if (options.private_key_env !== undefined) {
    const value = env[options.private_key_env];
    if (value === undefined || value === '') throw new Error(`mount ${context.mount}: GitHub App private key ${where} is not set`);
    // Keys put into one-line env vars usually carry literal \n sequences.
    pem = value.replace(/\\n/g, '\n');
  } else {
    try {
      pem = readFileSync(resolve(context.configDir, options.private_key_file!), 'utf8');
    } catch (err) {
      throw new Error(`mount ${context.mount}: GitHub App private key ${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error(`mount ${context.mount}: GitHub App private key ${where} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`mount ${context.mount}: GitHub App private key ${where} must be an RSA key (GitHub signs App JWTs with RS256)`);
  return key;
}
