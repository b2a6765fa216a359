/**
 * The GitHub REST calls this adapter makes, behind one small interface so tests can swap the transport. The
 * default goes through the official clients: `@octokit/rest` with `@octokit/auth-app` as its auth strategy
 * signs each App-level call with a fresh RS256 JWT; token-level calls (revoke, health of a token) use a plain
 * Octokit with the installation token in the Authorization header. Octokit's own logging is silenced: nothing
 * it could print (request URLs, warnings) is allowed near the key or a token.
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';

export interface AccessTokenAnswer {
  token?: unknown;
  expires_at?: unknown;
  permissions?: unknown;
  repository_selection?: unknown;
  repositories?: unknown;
}

export interface InstallationRef {
  id: number;
  account: string;
}

export interface GitHubCalls {
  /** `GET /app` with the App JWT: proves the key and the endpoint. */
  getApp(signal: AbortSignal): Promise<{ id?: unknown }>;
  /** The installation (id and account login) by id, or of an org, a user or a repository (`owner/name`). */
  findInstallation(by: { id?: number; org?: string; user?: string; repository?: string }, signal: AbortSignal): Promise<InstallationRef>;
  createToken(installationId: number, body: { repositories: string[]; permissions: Record<string, string> }, signal: AbortSignal): Promise<AccessTokenAnswer>;
  /** `DELETE /installation/token`, authenticated with the token itself. */
  revokeToken(token: string, signal: AbortSignal): Promise<void>;
}

export interface GitHubClientConfig {
  baseUrl: string;
  appId: string | number;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  timeoutMs: number;
}

export type CreateGitHubCalls = (config: GitHubClientConfig) => GitHubCalls;

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const USER_AGENT = 'crefgate-github-app';

/** Combines the caller's signal with the per-request backstop timeout. */
const bounded = (signal: AbortSignal, ms: number) => AbortSignal.any([signal, AbortSignal.timeout(ms)]);

/** The default, official-client implementation. */
export const createOctokitCalls: CreateGitHubCalls = (config) => {
  const asApp = new Octokit({
    baseUrl: config.baseUrl,
    userAgent: USER_AGENT,
    log: silent,
    authStrategy: createAppAuth,
    auth: { appId: config.appId, privateKey: config.privateKeyPem },
  });
  const plain = new Octokit({ baseUrl: config.baseUrl, userAgent: USER_AGENT, log: silent });
  const req = (signal: AbortSignal) => ({ request: { signal: bounded(signal, config.timeoutMs) } });
  return {
    async getApp(signal) {
      return (await asApp.request('GET /app', req(signal))).data as { id?: unknown };
    },
    async findInstallation(by, signal) {
      let answer: { data: unknown };
      if (by.id !== undefined) answer = await asApp.request('GET /app/installations/{installation_id}', { installation_id: by.id, ...req(signal) });
      else if (by.org !== undefined) answer = await asApp.request('GET /orgs/{org}/installation', { org: by.org, ...req(signal) });
      else if (by.user !== undefined) answer = await asApp.request('GET /users/{username}/installation', { username: by.user, ...req(signal) });
      else {
        const [owner, repo] = (by.repository ?? '').split('/');
        answer = await asApp.request('GET /repos/{owner}/{repo}/installation', { owner: owner!, repo: repo!, ...req(signal) });
      }
      const data = answer.data as { id?: unknown; account?: { login?: unknown } | null };
      const account = data.account?.login;
      if (typeof data.id !== 'number' || typeof account !== 'string') throw new Error('installation answer without id or account');
      return { id: data.id, account };
    },
    async createToken(installationId, body, signal) {
      const answer = await asApp.request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installationId,
        repositories: body.repositories,
        permissions: body.permissions,
        ...req(signal),
      });
      return answer.data as AccessTokenAnswer;
    },
    async revokeToken(token, signal) {
      await plain.request('DELETE /installation/token', { headers: { authorization: `token ${token}` }, ...req(signal) });
    },
  };
};
