/** The shared adapter conformance suite (issue-only cases) against the mysql adapter on a private MariaDB. */
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { mariadbMissing } from './private_mariadb.ts';
import { startMysqlRig, type MysqlRig } from './mysql_fixture.ts';

describe('mysql conformance', function () {
  this.timeout(60_000);
  let rig: MysqlRig | undefined;
  before(async function () {
    const missing = await mariadbMissing();
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    rig = await startMysqlRig();
  });
  after(async () => {
    await rig?.close();
  });

  describeAdapter('mysql (MariaDB)', async (): Promise<ConformanceFixture> => {
    const adapter = rig!.adapter();
    return {
      adapter,
      issueOnly: true,
      supportsFields: false,
      dynamicPath: 'readonly',
      // The user name and where to connect are in the handle by design; the password (and the URI holding it) never.
      publicFields: ['username', 'host', 'port', 'database'],
      seed: async () => {
        throw new Error('mysql mounts hold no static secrets');
      },
      isRevoked: async (handle) => (await rig!.admin('SELECT 1 FROM mysql.user WHERE User = ?', [(handle as { username: string }).username])).length === 0,
      close: async () => {
        await adapter.close();
        // The issue-only case leaves its credential to the fixture: remove every user the case created.
        const cleaner = rig!.adapter();
        for (const { handle } of await cleaner.listIssued(AbortSignal.timeout(5000))) await cleaner.revoke({ handle, signal: AbortSignal.timeout(5000) });
        await cleaner.close();
      },
    };
  });
});
