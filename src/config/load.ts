/**
 * Loads the config file (YAML or JSON), applies environment overrides for the listener and paths, and
 * validates it into a typed `Config`. A bad file stops start-up with a message naming the key path and why.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that may override config: the listener and the base folder of relative paths. */
export const ENV_OVERRIDES = {
  CREFGATE_HOST: 'gateway.host',
  CREFGATE_PORT: 'gateway.port',
  CREFGATE_STATE_DIR: 'state_dir',
} as const;

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env.CREFGATE_STATE_DIR) raw.state_dir = env.CREFGATE_STATE_DIR;
  if (raw.gateway === undefined) raw.gateway = {};
  // A non-object `gateway` is left as it is, for the schema to report at its key path.
  if (typeof raw.gateway !== 'object' || raw.gateway === null) return;
  const gateway = raw.gateway as Record<string, unknown>;
  if (env.CREFGATE_HOST) gateway.host = env.CREFGATE_HOST;
  if (env.CREFGATE_PORT) {
    const port = Number(env.CREFGATE_PORT);
    if (!Number.isInteger(port)) throw new ConfigError(`CREFGATE_PORT (gateway.port): not an integer: ${env.CREFGATE_PORT}`);
    gateway.port = port;
  }
}

/** Validates an already-parsed document; throws ConfigError naming every offending key path. */
export function validateConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.slice(0, 10).map((issue) => {
      const where = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
      return `  ${where}: ${issue.message}`;
    });
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Reads, overrides and validates a config file. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ config: Config; configDir: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new ConfigError(`${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: the top level must be a mapping`);
  applyEnv(raw as Record<string, unknown>, env);
  return { config: validateConfig(raw, file), configDir: path.dirname(path.resolve(file)) };
}
