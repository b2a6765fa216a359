/** The seams both database adapters offer tests and embedders, over their own driver's pool type. */

/** The pool factory, the clock, the environment (admin password), a hook awaited between revoke steps. */
export interface SqlUsersDeps<PoolConfig, Pool> {
  createPool?: (config: PoolConfig) => Pool;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  onRevokeStep?: (step: string) => Promise<void>;
}
