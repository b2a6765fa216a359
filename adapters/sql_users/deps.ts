/** The seams both database adapters offer tests and embedders, over their own driver's pool type. */
import type { AdapterSeams } from '../kit/seams.ts';

/** The pool factory, the clock, the environment (admin password), a hook awaited between revoke steps. */
export interface SqlUsersDeps<PoolConfig, Pool> extends AdapterSeams {
  createPool?: (config: PoolConfig) => Pool;
  onRevokeStep?: (step: string) => Promise<void>;
}
