/** In-memory executor registry. Buffers are copied in and out so that no caller can alter a stored secret. */
import type { ExecutorRecord, ExecutorRegistry } from '../contract.ts';
import { copyExecutor, copyVersion, rotateVersions } from '../records.ts';

/** Creates the memory executor registry; `versionOf` reads a record's version synchronously (for reserveFor). */
export function createMemoryExecutors(): ExecutorRegistry & { versionOf(id: string): number | undefined } {
  const executors = new Map<string, ExecutorRecord>();
  // Every change bumps the version in the same synchronous step.
  const bump = (record: ExecutorRecord): void => {
    record.version = (record.version ?? 0) + 1;
  };

  return {
    versionOf: (id) => executors.get(id)?.version,
    async get(id) {
      const record = executors.get(id);
      return record === undefined ? undefined : copyExecutor(record);
    },
    async register(record) {
      if (executors.has(record.id)) return false;
      executors.set(record.id, { ...copyExecutor(record), version: 1 });
      return true;
    },
    async rotate(id, version, at) {
      const record = executors.get(id);
      if (record === undefined) return undefined;
      record.secrets = rotateVersions(record.secrets, copyVersion(version), at, record.graceMs);
      bump(record);
      return copyExecutor(record);
    },
    async setEnabled(id, enabled, at) {
      const record = executors.get(id);
      if (record === undefined) return undefined;
      record.enabled = enabled;
      record.disabledAt = enabled ? undefined : (record.disabledAt ?? at);
      bump(record);
      return copyExecutor(record);
    },
    async list(tenant) {
      return [...executors.values()]
        .filter((record) => tenant === undefined || record.tenant === tenant)
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(copyExecutor);
    },
  };
}
