/**
 * The small things most test files need, defined once (issue 17): temporary folders that are always removed,
 * a bounded AbortSignal for adapter calls, and `until` for polling. Import from here instead of copying.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export { until } from './until.ts';

/** A signal for one adapter or client call: aborts after `ms` so a hung backend fails the test, not the run. */
export const signal = (ms = 5000): AbortSignal => AbortSignal.timeout(ms);

/** Makes a temporary folder under the system's (or `base`); `remove` deletes it and everything in it. */
export async function makeTempFolder(prefix: string, base = tmpdir()): Promise<{ path: string; remove: () => Promise<void> }> {
  const folder = await mkdtemp(path.join(base, prefix));
  return { path: folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

/**
 * Registers mocha hooks in the current `describe`: a fresh temporary folder before each test (`each: true`) or
 * once for the suite, removed afterwards even when the test failed. Read `.path` inside tests and hooks.
 */
export function tempFolder(prefix: string, options: { each?: boolean; base?: string } = {}): { readonly path: string } {
  let current: { path: string; remove: () => Promise<void> } | undefined;
  const make = async () => {
    current = await makeTempFolder(prefix, options.base);
  };
  const remove = async () => {
    await current?.remove();
    current = undefined;
  };
  if (options.each === true) {
    beforeEach(make);
    afterEach(remove);
  } else {
    before(make);
    after(remove);
  }
  return {
    get path(): string {
      if (current === undefined) throw new Error(`temporary folder ${prefix}… is used outside its suite`);
      return current.path;
    },
  };
}
