/**
 * The in-process lease → job locators must not keep request bodies alive. A job id parsed out of an envelope is a
 * V8 sliced string that references the whole body; remembering it as is kept one body per remembered lease (a
 * 5-minute soak grew by ~12 MB until the 10,000-entry bound was reached).
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseStrictJson } from '../../src/envelope/strict_json.ts';
import { RedisKeys } from '../../src/state/redis/keys.ts';
import { locatorsOf } from '../../src/state/redis/locators.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('redis lease locators', () => {
  it('remember ids without retaining the request bodies they were parsed from', () => {
    const locators = locatorsOf(new RedisKeys(`locators-test-${process.pid}:`));
    const filler = 'x'.repeat(50_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2000; i++) {
      // A fresh 50 kB body each time, with the job id parsed out of it as the gateway does.
      const body = `{"payload":{"job_id":"job_${String(i).padStart(22, '0')}","pad":"${filler}${i}"}}`;
      const jobId = (parseStrictJson(body).value as { payload: { job_id: string } }).payload.job_id;
      locators.remember(`lease_${i}`, jobId);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(locators.get('lease_1999'), `job_${'1999'.padStart(22, '0')}`);
    // 2,000 bodies of 50 kB would be ~100 MB; 2,000 short ids are well under 5 MB.
    assert.ok(grown < 20_000_000, `locators retained ${(grown / 1e6).toFixed(1)} MB`);
  });
});
