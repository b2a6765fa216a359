/** Local store specifics: a tampered entry is an integrity error, an unreadable file makes the store unavailable. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { rejectsKind } from '../../helpers/adapter_errors.ts';
import { signal } from '../../helpers/kit.ts';
import { localRig, type LocalTestRig } from './local_fixture.ts';

describe('local adapter', () => {
  let rig: LocalTestRig;
  beforeEach(async () => {
    rig = await localRig();
  });
  afterEach(() => rig.fixture.close());

  it('refuses an entry sealed for another path as integrity, and hands out nothing', async () => {
    await rig.fixture.seed('app/a', 'value-of-a');
    await rig.fixture.seed('app/b', 'value-of-b');
    const store = JSON.parse(await readFile(rig.file, 'utf8'));
    // Each entry's AAD binds it to its path: moving a ciphertext to another path must not decrypt.
    store.entries['app/b'] = store.entries['app/a'];
    await writeFile(rig.file, JSON.stringify(store));
    const err = await rejectsKind(rig.adapter.read({ path: 'app/b', signal: signal() }), 'integrity');
    assert.ok(!err.message.includes('value-of-a'));
  });

  it('reports a store file that is not a sealed store as unavailable, and health as not ok', async () => {
    await writeFile(rig.file, 'not json at all');
    await rejectsKind(rig.adapter.read({ path: 'app/a', signal: signal() }), 'unavailable');
    assert.deepEqual(await rig.adapter.health(signal()), { ok: false, detail: 'local store file unreadable' });
  });

  it('keeps only the latest version: a pin to it reads, a pin to a replaced one is not_found; a plain string has no fields', async () => {
    await rig.fixture.seed('app/v', 'first');
    await rig.fixture.seed('app/v', 'second');
    assert.deepEqual(await rig.adapter.read({ path: 'app/v', version: '2', signal: signal() }), { value: 'second', version: '2' });
    await rejectsKind(rig.adapter.read({ path: 'app/v', version: '1', signal: signal() }), 'not_found');
    await rejectsKind(rig.adapter.read({ path: 'app/v', field: 'x', signal: signal() }), 'not_found');
  });
});
