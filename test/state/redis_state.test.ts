/** The Redis state store against the conformance suite (each case on its own random key prefix). */
import { describeStateStore } from './describe_state_store.ts';
import { redisFixture } from './redis_fixture.ts';

describeStateStore('redis', redisFixture);
