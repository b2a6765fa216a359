/**
 * The node-vault client, created behind an injectable factory. node-vault falls back to VAULT_ADDR,
 * VAULT_TOKEN, VAULT_NAMESPACE, VAULT_PREFIX and VAULT_SKIP_VERIFY from the environment; a gateway must not
 * let its environment redirect or weaken its Vault connection, so every one of those is pinned here.
 */
import nodeVault from 'node-vault';
import type NodeVault from 'node-vault';

export type VaultClient = NodeVault.client;

export interface VaultClientConfig {
  /** Base address without /v1, e.g. https://vault.internal:8200. */
  endpoint: string;
  namespace: string | undefined;
  /** CA bundle (PEM) to verify Vault's certificate; undefined = the system trust store. */
  ca: Buffer | undefined;
  /** Per-HTTP-request backstop timeout, ms. */
  timeoutMs: number;
}

/** Builds an SDK client; tests inject their own to observe or replace it. */
export type CreateVaultClient = (config: VaultClientConfig) => VaultClient;

/** Writable fields node-vault reads on every request but leaves out of its typings. */
interface PinnableClient {
  token: string;
  namespace: string;
  pathPrefix: string;
}

/** The default factory: a node-vault client with every option pinned. */
export const createNodeVaultClient: CreateVaultClient = (config) => {
  // rpDefaults is read by node-vault but missing from its typings.
  const options: NodeVault.VaultOptions & { rpDefaults: { strictSSL: boolean } } = {
    apiVersion: 'v1',
    endpoint: config.endpoint,
    namespace: config.namespace,
    pathPrefix: '',
    noCustomHTTPVerbs: true,
    // node-vault's debug output includes request bodies, i.e. AppRole secret IDs and JWTs: never enable it.
    debug: () => {},
    rpDefaults: { strictSSL: true },
    requestOptions: {
      strictSSL: true,
      timeout: config.timeoutMs,
      ...(config.ca === undefined ? {} : { ca: config.ca }),
    },
  };
  const client = nodeVault(options);
  // The constructor substitutes the environment for empty values; overwrite them after the fact.
  const pinned = client as unknown as PinnableClient;
  pinned.token = '';
  pinned.namespace = config.namespace ?? '';
  pinned.pathPrefix = '';
  return client;
};
