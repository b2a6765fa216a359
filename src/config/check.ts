/**
 * `crefgate config check FILE`: the start-up validations that need no network, without starting anything. The
 * schema (every key path), then what createGateway refuses before it opens a socket: route templates, routes
 * naming unconfigured mounts, mounts of an unknown adapter kind or with options their adapter's schema refuses,
 * plugin pins, a meaningless policy, a duplicate OIDC issuer. Adapters are not created and files named by the
 * config (keys, certificates) are not read: the check runs on a laptop against a production file.
 */
import path from 'node:path';
import { builtinRegistry } from '../../adapters/builtin.ts';
import { loadPluginFactory } from '../../adapters/registry.ts';
import { OidcVerifier } from '../identity/oidc/verify_oidc.ts';
import { policyFromConfig } from '../policy/policy_config.ts';
import { CrefRouter } from '../routing/router.ts';
import { ConfigError, loadConfig } from './load.ts';
import type { Config } from './schema.ts';

/** What a passing check found, for its one-line OK. */
export interface ConfigSummary {
  mounts: number;
  routes: number;
  tenants: number;
  state: string;
}

/** Runs one check, turning its exception into a problem line. */
function attempt(problems: string[], check: () => void): void {
  try {
    check();
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
}

/** Checks a parsed config; returns one line per problem (key path first), empty when it would start. */
export async function configProblems(config: Config, configDir: string): Promise<string[]> {
  const problems: string[] = [];
  const baseDir = path.resolve(configDir, config.state_dir);
  const registry = builtinRegistry();
  for (const [index, plugin] of config.plugins.entries()) {
    try {
      registry.register(await loadPluginFactory(path.resolve(baseDir, plugin.module), plugin.sha256));
    } catch (err) {
      problems.push(`plugins.${index}: ${(err as Error).message}`);
    }
  }
  attempt(problems, () => {
    const router = new CrefRouter(config.routes);
    for (const mount of router.mounts()) {
      if (!(mount in config.mounts)) throw new Error(`routes: mount "${mount}" is not configured under mounts`);
    }
  });
  for (const [name, mount] of Object.entries(config.mounts)) {
    const factory = registry.get(mount.adapter);
    if (factory === undefined) {
      problems.push(`mounts.${name}.adapter: unknown adapter kind "${mount.adapter}" (known: ${registry.kinds().join(', ')})`);
      continue;
    }
    const parsed = factory.optionsSchema.safeParse(mount.options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        problems.push(`${['mounts', name, 'options', ...issue.path.map(String)].join('.')}: ${issue.message}`);
      }
    }
  }
  attempt(problems, () => {
    policyFromConfig(config.tenants, config.identities.filter((i) => i.role === 'coordinator').map((i) => i.id));
  });
  // A key source that is never called: constructing the verifier checks the issuer list, fetching nothing.
  attempt(problems, () => new OidcVerifier(config.oidc, () => async () => Promise.reject(new Error('not fetched'))));
  return problems;
}

/** Loads and checks a file; throws ConfigError listing every problem, or returns what it found. */
export async function checkConfigFile(file: string): Promise<ConfigSummary> {
  // The file as written: environment overrides are a property of the host that starts it, not of the file.
  const { config, configDir } = await loadConfig(file, {});
  const problems = await configProblems(config, configDir);
  if (problems.length > 0) throw new ConfigError(`${file} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { mounts: Object.keys(config.mounts).length, routes: config.routes.length, tenants: Object.keys(config.tenants).length, state: config.state.kind };
}
