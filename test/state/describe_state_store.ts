/**
 * The state-store conformance suite: the same cases against every StateStore implementation. A store's test
 * file calls `describeStateStore('memory', setup)`; implementations may add their own cases beside it.
 */
import type { StateStore } from '../../src/state/contract.ts';
import { describeCommitCases } from './cases_commit.ts';
import { describeCounterCases } from './cases_counters.ts';
import { describeExecutorCacheCases } from './cases_executor_cache.ts';
import { describeExecutorCases } from './cases_executors.ts';
import { describeJoinTokenCases } from './cases_join_tokens.ts';
import { describeJobAndNonceCases } from './cases_nonces.ts';
import { describeLeaseCases } from './cases_leases.ts';
import { describeRevocationCases } from './cases_revocations.ts';

export interface StateFixture {
  store: StateStore;
  /** The store's clock, epoch ms. */
  now(): number;
  /**
   * Moves time forward by `ms`. A store that also relies on its server's clock (Redis TTLs and idle times)
   * really waits, so cases keep these steps short.
   */
  advance(ms: number): Promise<void>;
  /** A second store over the same shared state, as another replica would see it. */
  peer(): Promise<StateStore>;
  close(): Promise<void>;
}

export type FixtureRef = () => StateFixture;

/** Registers the shared cases for one store. `setup` runs before each case; the fixture is closed after. */
export function describeStateStore(name: string, setup: () => Promise<StateFixture>): void {
  describe(`state store conformance: ${name}`, () => {
    let fx: StateFixture | undefined;
    beforeEach(async () => {
      fx = await setup();
    });
    afterEach(async () => {
      await fx?.close();
      fx = undefined;
    });
    const ref: FixtureRef = () => {
      if (fx === undefined) throw new Error('fixture not set up');
      return fx;
    };
    describeJobAndNonceCases(ref);
    describeLeaseCases(ref);
    describeCommitCases(ref);
    describeRevocationCases(ref);
    describeExecutorCases(ref);
    describeExecutorCacheCases(ref);
    describeJoinTokenCases(ref);
    describeCounterCases(ref);
  });
}
