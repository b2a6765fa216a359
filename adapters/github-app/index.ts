/**
 * The `github-app` adapter kind: GitHub App installation access tokens, one per job and cref, scoped to the
 * route's repositories and permissions, revoked at the job's end. See docs/adapters/github.md.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdapterContext, AdapterFactory } from '../contract.ts';
import { GitHubAppAdapter } from './adapter.ts';
import { createOctokitCalls, type CreateGitHubCalls } from './client.ts';
import { githubAppOptionsSchema, type GitHubAppOptions } from './options.ts';
import { sealKeyOf } from './token_seal.ts';

export type { GitHubAppOptions } from './options.ts';
export type { GitHubTokenHandle } from './adapter.ts';

/** Seams for tests: the transport, the clock, the environment. */
export interface GitHubAppDeps {
  createCalls?: CreateGitHubCalls;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

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

/** Builds a github-app adapter; nothing is sent to GitHub until the first call. */
function create(options: GitHubAppOptions, context: AdapterContext, deps: GitHubAppDeps = {}): GitHubAppAdapter {
  const key = loadPrivateKey(options, context, deps.env ?? process.env);
  const calls = (deps.createCalls ?? createOctokitCalls)({
    baseUrl: options.api_url.replace(/\/+$/, ''),
    appId: options.app_id,
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    timeoutMs: options.request_timeout_ms,
  });
  return new GitHubAppAdapter(calls, options, sealKeyOf(key, options.app_id), deps.now ?? Date.now);
}

export const githubAppAdapter = {
  kind: 'github-app',
  optionsSchema: githubAppOptionsSchema,
  create,
} satisfies AdapterFactory<GitHubAppOptions>;
