/**
 * A separate OS process acting as one gateway replica, for the multi-process tests. Input: one JSON argument.
 *   { mode: 'race', config, env, jobId, nonces, startAt }  → waits until startAt, reserves every nonce,
 *     prints the JSON list of nonces it won.
 *   { mode: 'claim-and-die', config, env, consumer }         → claims revocations, prints their lease ids,
 *     and exits without acking (a replica that crashed mid-revocation).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisConfig } from '../../src/state/config.ts';
import { createRedisStateStore } from '../../src/state/redis/index.ts';

interface Input {
  mode: 'race' | 'claim-and-die';
  config: RedisConfig;
  env: Record<string, string>;
  jobId?: string;
  nonces?: string[];
  startAt?: number;
  consumer?: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const store = await createRedisStateStore(input.config, { env: input.env });

if (input.mode === 'race') {
  await delay(Math.max(0, (input.startAt ?? 0) - Date.now()));
  const owner = `pid-${process.pid}`;
  const outcomes = await Promise.all(
    (input.nonces ?? []).map(async (n) => [n, await store.nonces.reserve(n, input.jobId ?? '', owner, Date.now() + 60_000)] as const),
  );
  process.stdout.write(JSON.stringify(outcomes.filter(([, o]) => o === 'reserved').map(([n]) => n)));
  await store.close();
} else {
  const claimed = await store.revocations.claim(input.consumer ?? 'dier', 100, 60_000);
  process.stdout.write(JSON.stringify(claimed.map((c) => c.task.leaseId)));
  // Dies holding its claims: no ack, no retry, no clean close.
  process.exit(0);
}
