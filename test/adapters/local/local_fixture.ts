/**
 * Wires the local adapter to a sealed store file in a fresh temporary state folder, for the conformance suite
 * and the local-specific tests. Seeding goes through putSecret, the same writer `crefgate secrets put` uses.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretAdapter, SecretPayload } from '../../../adapters/contract.ts';
import { create } from '../../../adapters/local/adapter.ts';
import { manifest } from '../../../adapters/local/index.ts';
import { putSecret } from '../../../adapters/local/sealed_file.ts';
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';
import { makeTempFolder } from '../../helpers/kit.ts';

export interface LocalTestRig {
  adapter: SecretAdapter;
  /** The sealed store file the adapter reads. */
  file: string;
  fixture: ConformanceFixture;
}

/** A local adapter over an empty sealed store (the key in a file of the state folder), options through the real schema. */
export async function localRig(): Promise<LocalTestRig> {
  const folder = await makeTempFolder('crefgate-local-');
  const key = randomBytes(32);
  await writeFile(join(folder.path, 'store.key'), key.toString('base64'), { mode: 0o600 });
  const options = manifest.optionsSchema.parse({ file: 'secrets.json', key_file: 'store.key', key_id: 'test-1' });
  const adapter = create(options, { mount: 'local-test', stateDir: folder.path, configDir: folder.path });
  const file = join(folder.path, 'secrets.json');
  const fixture: ConformanceFixture = {
    adapter,
    seed: async (path: string, value: SecretPayload) => {
      await putSecret(file, key, options.key_id, path, value);
    },
    supportsFields: true,
    close: async () => {
      await adapter.close();
      await folder.remove();
    },
  };
  return { adapter, file, fixture };
}
