/**
 * What the GitHub emulator knows: one GitHub App (id, client id, public key), its installations (account,
 * granted permissions, repositories) and the installation access tokens it minted. The scoping rules follow
 * GitHub's REST documentation for `POST /app/installations/{installation_id}/access_tokens`: a token may be
 * narrowed to a subset of the installation's repositories and permissions, never widened (422 otherwise), and
 * expires one hour after it was created.
 */
import { randomBytes } from 'node:crypto';

export type PermissionLevel = 'read' | 'write' | 'admin';

export interface Repository {
  id: number;
  name: string;
  full_name: string;
  private: boolean;
  owner: { login: string; id: number; type: 'Organization' | 'User' };
}

export interface Installation {
  id: number;
  account: { login: string; id: number; type: 'Organization' | 'User' };
  permissions: Record<string, PermissionLevel>;
  repositories: Repository[];
}

export interface MintedToken {
  token: string;
  installationId: number;
  permissions: Record<string, PermissionLevel>;
  repositories: Repository[];
  /** Epoch ms, whole seconds (the answer's `expires_at` has second precision). */
  expiresAt: number;
  revoked: boolean;
}

/** Ranks levels so that "narrower" can be checked: read < write < admin. */
const RANK: Record<PermissionLevel, number> = { read: 1, write: 2, admin: 3 };

/** A refusal the server turns into GitHub's error JSON. */
export class GitHubFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `ghs_` plus 36 base62 characters, the classic installation-token shape. */
function newToken(): string {
  const bytes = randomBytes(36);
  return `ghs_${Array.from(bytes, (b) => TOKEN_ALPHABET[b % TOKEN_ALPHABET.length]).join('')}`;
}

export class GitHubModel {
  readonly installations = new Map<number, Installation>();
  readonly tokens = new Map<string, MintedToken>();
  /** Installation tokens live one hour (GitHub's documented lifetime); tests may shorten it. */
  tokenLifetimeMs = 3_600_000;
  #nextId = 1000;

  readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Adds an installation on an account with repositories (by name) and granted permissions. */
  install(login: string, options: { type?: 'Organization' | 'User'; repositories: string[]; permissions: Record<string, PermissionLevel> }): Installation {
    const type = options.type ?? 'Organization';
    const account = { login, id: this.#nextId++, type };
    const installation: Installation = {
      id: this.#nextId++,
      account,
      permissions: { ...options.permissions },
      repositories: options.repositories.map((name) => ({ id: this.#nextId++, name, full_name: `${login}/${name}`, private: true, owner: account })),
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  /** The installation on an account (org or user) or the one covering a repository. */
  findInstallation(by: { org?: string; user?: string; repo?: string }): Installation {
    for (const installation of this.installations.values()) {
      const login = installation.account.login.toLowerCase();
      if (by.org !== undefined && installation.account.type === 'Organization' && login === by.org.toLowerCase()) return installation;
      if (by.user !== undefined && installation.account.type === 'User' && login === by.user.toLowerCase()) return installation;
      if (by.repo !== undefined && installation.repositories.some((r) => r.full_name.toLowerCase() === by.repo!.toLowerCase())) return installation;
    }
    throw new GitHubFailure(404, 'Not Found');
  }

  /** Mints a token narrowed as asked; anything the installation does not grant is a 422. */
  mint(installationId: number, body: { repositories?: unknown; repository_ids?: unknown; permissions?: unknown }): MintedToken {
    const installation = this.installations.get(installationId);
    if (installation === undefined) throw new GitHubFailure(404, 'Not Found');
    const repositories = this.#selectRepositories(installation, body);
    const permissions = this.#selectPermissions(installation, body.permissions);
    const minted: MintedToken = { token: newToken(), installationId, permissions, repositories, expiresAt: Math.floor((this.now() + this.tokenLifetimeMs) / 1000) * 1000, revoked: false };
    this.tokens.set(minted.token, minted);
    return minted;
  }

  /** The live token behind `token`; revoked, expired and unknown ones are 401 ("Bad credentials"). */
  liveToken(token: string): MintedToken {
    const minted = this.tokens.get(token);
    if (minted === undefined || minted.revoked || minted.expiresAt <= this.now()) throw new GitHubFailure(401, 'Bad credentials');
    return minted;
  }

  #selectRepositories(installation: Installation, body: { repositories?: unknown; repository_ids?: unknown }): Repository[] {
    if (body.repositories === undefined && body.repository_ids === undefined) return installation.repositories;
    const names = body.repositories ?? [];
    const ids = body.repository_ids ?? [];
    if (!Array.isArray(names) || !Array.isArray(ids) || names.length + ids.length > 500) throw new GitHubFailure(422, 'Invalid repositories');
    const picked: Repository[] = [];
    for (const name of names) {
      const repo = installation.repositories.find((r) => typeof name === 'string' && r.name.toLowerCase() === name.toLowerCase());
      if (repo === undefined) throw new GitHubFailure(422, `There is at least one repository that does not exist or is not accessible to the parent installation.`);
      if (!picked.includes(repo)) picked.push(repo);
    }
    for (const id of ids) {
      const repo = installation.repositories.find((r) => r.id === id);
      if (repo === undefined) throw new GitHubFailure(422, `There is at least one repository that does not exist or is not accessible to the parent installation.`);
      if (!picked.includes(repo)) picked.push(repo);
    }
    return picked;
  }

  #selectPermissions(installation: Installation, asked: unknown): Record<string, PermissionLevel> {
    if (asked === undefined) return { ...installation.permissions };
    if (typeof asked !== 'object' || asked === null || Array.isArray(asked)) throw new GitHubFailure(422, 'Invalid permissions');
    const out: Record<string, PermissionLevel> = {};
    for (const [name, level] of Object.entries(asked)) {
      const granted = installation.permissions[name];
      if (typeof level !== 'string' || !(level in RANK)) throw new GitHubFailure(422, `Invalid permission level for ${name}`);
      if (granted === undefined || RANK[level as PermissionLevel] > RANK[granted]) {
        throw new GitHubFailure(422, `The permissions requested are not granted to this installation.`);
      }
      out[name] = level as PermissionLevel;
    }
    return out;
  }
}
