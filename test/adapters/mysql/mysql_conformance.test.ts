/** The shared adapter conformance suite (issue-only cases) against the mysql adapter on a private MariaDB. */
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { usePrivateRig, usersConformanceFixture } from '../sql_users/private_rig.ts';
import { mariadbMissing } from './private_mariadb.ts';
import { startMysqlRig } from './mysql_fixture.ts';

describe('mysql conformance', function () {
  this.timeout(60_000);
  const { rig } = usePrivateRig(mariadbMissing, startMysqlRig);
  describeAdapter(
    'mysql (MariaDB)',
    usersConformanceFixture('mysql', rig, async (username) => (await rig().admin('SELECT 1 FROM mysql.user WHERE User = ?', [username])).length > 0),
  );
});
