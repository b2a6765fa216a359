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

/**
 * Environment variables that may override config: the listeners and the base folder of relative paths. Every
 * listener has its own port override, so two instances on one host (two embedded defaults side by side) can
 * move all their ports apart without editing files.
 */
export const ENV_OVERRIDES = {
  CREFGATE_HOST: 'gateway.host',
  CREFGATE_PORT: 'gateway.port',
  CREFGATE_OPS_PORT: 'ops.port',
  CREFGATE_BOOTSTRAP_PORT: 'bootstrap.port',
  CREFGATE_STATE_DIR: 'state_dir',
} as const;

/** A port from the environment: an integer 0–65535, or a ConfigError naming the variable and its key. */
function envPort(name: keyof typeof ENV_OVERRIDES, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} (${ENV_OVERRIDES[name]}): not a port: ${value}`);
  return port;
}

/** The object at `raw[key]`, created when absent; undefined when it is something else (the schema reports it). */
function section(raw: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  if (raw[key] === undefined) raw[key] = {};
  const value = raw[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env.CREFGATE_STATE_DIR) raw.state_dir = env.CREFGATE_STATE_DIR;
  if (env.CREFGATE_OPS_PORT) {
    const ops = section(raw, 'ops');
    if (ops !== undefined) ops.port = envPort('CREFGATE_OPS_PORT', env.CREFGATE_OPS_PORT);
  }
  if (env.CREFGATE_BOOTSTRAP_PORT) {
    // Setting it must not switch the listener on: without a bootstrap section the variable is a mistake.
    if (raw.bootstrap === undefined) throw new ConfigError('CREFGATE_BOOTSTRAP_PORT (bootstrap.port): the config has no bootstrap section');
    const bootstrap = section(raw, 'bootstrap');
    if (bootstrap !== undefined) bootstrap.port = envPort('CREFGATE_BOOTSTRAP_PORT', env.CREFGATE_BOOTSTRAP_PORT);
  }
  // A non-object `gateway` is left as it is, for the schema to report at its key path.
  const gateway = section(raw, 'gateway');
  if (gateway === undefined) return;
  if (env.CREFGATE_HOST) gateway.host = env.CREFGATE_HOST;
  if (env.CREFGATE_PORT) gateway.port = envPort('CREFGATE_PORT', env.CREFGATE_PORT);
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
