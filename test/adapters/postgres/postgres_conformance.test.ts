/**
 * The shared adapter conformance suite (issue-only cases) against the postgres adapter on a private server;
 * `isRevoked` asks the server itself whether the issued user is gone.
 */
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { usePrivateRig, usersConformanceFixture } from '../sql_users/private_rig.ts';
import { postgresMissing } from './private_postgres.ts';
import { startPostgresRig } from './postgres_fixture.ts';

describe('postgres conformance', function () {
  this.timeout(60_000);
  const { rig } = usePrivateRig(postgresMissing, startPostgresRig);
  describeAdapter(
    'postgres',
    usersConformanceFixture('postgres', rig, async (username) => (await rig().admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount !== 0),
  );
});
