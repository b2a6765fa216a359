/**
 * The state-store conformance suite on a real multi-node Redis Cluster: three masters with a replica each, so
 * the keys of one operation really live on one node among several and the client follows the slot map.
 */
import { RedisClusterDeployment } from '../helpers/redis_cluster.ts';
import { describeStateStore } from './describe_state_store.ts';
import { redisFixture, testConfig } from './redis_fixture.ts';

describe('redis cluster (3 masters + 3 replicas)', function () {
  this.timeout(60_000);
  let cluster: RedisClusterDeployment | undefined;
  before(async () => {
    cluster = await RedisClusterDeployment.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  describeStateStore('redis cluster x6', () => redisFixture(testConfig({ url: undefined, cluster: { nodes: cluster!.seeds } })));
});
