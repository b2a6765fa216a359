/**
 * The shared adapter conformance suite (issue-only cases) against the postgres and mysql adapters on private
 * servers; `isRevoked` asks the server itself whether the issued user is gone.
 */
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { postgresMissing } from './private_postgres.ts';
import { startPostgresRig, type PostgresRig } from './postgres_fixture.ts';

describe('postgres conformance', function () {
  this.timeout(60_000);
  let rig: PostgresRig | undefined;
  before(async function () {
    const missing = postgresMissing();
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    rig = await startPostgresRig();
  });
  after(async () => {
    await rig?.close();
  });

  describeAdapter('postgres', async (): Promise<ConformanceFixture> => {
    const adapter = rig!.adapter();
    return {
      adapter,
      issueOnly: true,
      supportsFields: false,
      dynamicPath: 'readonly',
      // The user name and where to connect are in the handle by design; the password (and the URI holding it) never.
      publicFields: ['username', 'host', 'port', 'database'],
      seed: async () => {
        throw new Error('postgres mounts hold no static secrets');
      },
      isRevoked: async (handle) => (await rig!.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [(handle as { username: string }).username])).rowCount === 0,
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
