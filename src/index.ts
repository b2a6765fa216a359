/** The package entry: what embedders may import. Everything else is internal. */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
export { loadConfig, validateConfig, ConfigError } from './config/load.ts';
export type { Config } from './config/schema.ts';
export { GatewayError, type ErrorCode, type Step } from './errors.ts';
export type { SecretAdapter, AdapterFactory } from '../adapters/contract.ts';
export { AdapterError } from '../adapters/contract.ts';
export * from './client/index.ts';
