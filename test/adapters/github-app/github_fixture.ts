/**
 * A github-app adapter wired to the GitHub emulator through the official Octokit clients: an installation on
 * org `acme` with three repositories, the App key handed over in an environment variable (as operators do).
 */
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';
import { create, type GitHubAppAdapter, type GitHubTokenHandle } from '../../../adapters/github-app/adapter.ts';
import { manifest, type GitHubAppOptions } from '../../../adapters/github-app/index.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MountConfig } from '../../../src/config/schema.ts';
import { GitHubEmulator } from './emulator/server.ts';
import type { Installation } from './emulator/model.ts';

export interface GitHubRig {
  emulator: GitHubEmulator;
  installation: Installation;
  adapter: GitHubAppAdapter;
  env: NodeJS.ProcessEnv;
  fixture: ConformanceFixture;
  close(): Promise<void>;
}

export const ACME_PERMISSIONS = { contents: 'write', metadata: 'read', pull_requests: 'write', issues: 'read' } as const;

/** Starts an emulator and an adapter on it; `installation` picks how the mount finds its installation. */
export async function githubRig(options: { installation?: 'id' | 'org' | 'repository'; now?: () => number; appIdAs?: 'id' | 'client_id' } = {}): Promise<GitHubRig> {
  const emulator = await GitHubEmulator.start();
  const installation = emulator.install('acme', { repositories: ['app', 'lib', 'infra'], permissions: { ...ACME_PERMISSIONS } });
  emulator.install('other-org', { repositories: ['elsewhere'], permissions: { contents: 'write', metadata: 'read' } });
  const env = { CREFGATE_TEST_GH_KEY: emulator.privateKeyPem.replace(/\n/g, '\\n') };
  const by = options.installation ?? 'id';
  const raw = {
    api_url: emulator.url,
    app_id: options.appIdAs === 'client_id' ? emulator.app.clientId : emulator.app.id,
    private_key_env: 'CREFGATE_TEST_GH_KEY',
    installation: by === 'id' ? { id: installation.id } : by === 'org' ? { org: 'acme' } : { repository: 'acme/lib' },
  };
  const parsed: GitHubAppOptions = manifest.optionsSchema.parse(raw);
  const adapter = create(parsed, { mount: 'github', stateDir: '/nonexistent', configDir: '/nonexistent' }, { env, ...(options.now ? { now: options.now } : {}) });
  const tokenOf = (handle: unknown) => {
    const h = handle as GitHubTokenHandle;
    return [...emulator.model.tokens.values()].find((t) => t.expiresAt === h.token_expires_at && t.installationId === h.installation_id);
  };
  const fixture: ConformanceFixture = {
    adapter,
    async seed() {
      throw new Error('github-app holds no static secrets');
    },
    supportsFields: false,
    issueOnly: true,
    dynamicPath: 'app',
    setFault(fault) {
      emulator.fault = fault;
    },
    async isRevoked(handle) {
      return tokenOf(handle)?.revoked === true;
    },
    close: () => emulator.close(),
  };
  return { emulator, installation, adapter, env, fixture, close: () => emulator.close() };
}

/**
 * A gateway's `github-app` mount on the emulator, for the org `acme` installation: the App key is written to
 * `dir/app-key.pem` (mode 0600, as an operator would keep it); no retries, a breaker that opens after two failures.
 */
export async function gatewayGithubMount(emulator: GitHubEmulator, dir: string): Promise<MountConfig> {
  const keyFile = path.join(dir, 'app-key.pem');
  await writeFile(keyFile, emulator.privateKeyPem, { mode: 0o600 });
  return {
    adapter: 'github-app',
    options: { api_url: emulator.url, app_id: emulator.app.id, private_key_file: keyFile, installation: { org: 'acme' } },
    timeout_ms: 3000,
    retry: { attempts: 0, base_delay_ms: 10, max_delay_ms: 100 },
    breaker: { failure_threshold: 2, cooldown_ms: 60_000 },
  };
}
