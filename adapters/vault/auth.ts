/**
 * How the adapter obtains a Vault token for each auth method. A static token is read once; AppRole, JWT and
 * Kubernetes logins read their credential at every login, because secret IDs and projected service-account
 * tokens rotate on disk.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AdapterError } from '../contract.ts';
import type { VaultClient } from './client.ts';
import { mapVaultError, vaultStatus } from './map_error.ts';
import type { VaultAuthOptions } from './options.ts';

/** A token as Vault granted it. `ttlSeconds` 0 means it never expires (a root or periodic-less token). */
export interface ObtainedToken {
  token: string;
  ttlSeconds: number;
  renewable: boolean;
  /** What to ask for at each renewal; defaults to `ttlSeconds` (a login's fresh TTL). */
  incrementSeconds?: number;
}

export interface AuthPlan {
  /** The auth method, for messages. */
  method: VaultAuthOptions['method'];
  /** True when a fresh token can be had by logging in again (everything but a static token). */
  canLogin: boolean;
  /** Gets a token and installs it on the client. */
  obtain(client: VaultClient): Promise<ObtainedToken>;
}

interface AuthResponse {
  auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } | null;
}

/** Builds the plan for the configured method; relative files resolve against `configDir`. */
export function authPlan(auth: VaultAuthOptions, configDir: string, env: NodeJS.ProcessEnv): AuthPlan {
  const secret = (envName: string | undefined, file: string | undefined, what: string) => async (): Promise<string> => {
    if (envName !== undefined) {
      const value = env[envName];
      if (value === undefined || value.trim() === '') throw new AdapterError('permission_denied', `vault auth: ${what} variable ${envName} is empty`);
      return value.trim();
    }
    try {
      return (await readFile(resolve(configDir, file!), 'utf8')).trim();
    } catch (err) {
      throw new AdapterError('permission_denied', `vault auth: cannot read the ${what} file`, { cause: err });
    }
  };

  switch (auth.method) {
    case 'token': {
      const readToken = secret(auth.token_env, auth.token_file, 'token');
      return {
        method: 'token',
        canLogin: false,
        obtain: async (client) => {
          client.token = await readToken();
          const looked = (await call(() => client.tokenLookupSelf(), 'token lookup-self')) as {
            data?: { ttl?: unknown; creation_ttl?: unknown; renewable?: unknown };
          };
          const ttlSeconds = toSeconds(looked.data?.ttl);
          // `ttl` is what is left; renewals ask for the TTL the token was created with.
          const incrementSeconds = toSeconds(looked.data?.creation_ttl) || ttlSeconds;
          return { token: client.token, ttlSeconds, incrementSeconds, renewable: looked.data?.renewable === true };
        },
      };
    }
    case 'approle': {
      const readSecretId = secret(auth.secret_id_env, auth.secret_id_file, 'secret_id');
      return {
        method: 'approle',
        canLogin: true,
        obtain: async (client) => {
          const secretId = await readSecretId();
          return loggedIn(client, () => client.approleLogin({ role_id: auth.role_id, secret_id: secretId, mount_point: auth.mount }));
        },
      };
    }
    default: {
      const readJwt = secret(undefined, auth.jwt_file, 'JWT');
      const mount = auth.mount ?? auth.method;
      return {
        method: auth.method,
        canLogin: true,
        obtain: async (client) => {
          const jwt = await readJwt();
          const args = { role: auth.role, jwt, mount_point: mount };
          return loggedIn(client, () => (auth.method === 'jwt' ? client.jwtLogin(args) : client.kubernetesLogin(args)));
        },
      };
    }
  }
}

/** Runs a login; a refused login (400 bad credentials, 403) is permission_denied, not a bad reference. */
async function loggedIn(client: VaultClient, login: () => Promise<unknown>): Promise<ObtainedToken> {
  // Never present the old (perhaps expired) token to a login endpoint.
  client.token = '';
  let response: AuthResponse;
  try {
    response = (await login()) as AuthResponse;
  } catch (err) {
    const status = vaultStatus(err);
    if (status === 400) throw new AdapterError('permission_denied', 'vault login: HTTP 400 (credentials refused)', { cause: err });
    throw mapVaultError(err, 'login');
  }
  const token = response.auth?.client_token;
  if (typeof token !== 'string' || token === '') throw new AdapterError('unavailable', 'vault login: answer carried no client token');
  client.token = token;
  return { token, ttlSeconds: toSeconds(response.auth?.lease_duration), renewable: response.auth?.renewable === true };
}

async function call<T>(run: () => Promise<T>, action: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw mapVaultError(err, action);
  }
}

/** Vault TTLs are integer seconds; anything else counts as "no expiry information". */
export function toSeconds(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
