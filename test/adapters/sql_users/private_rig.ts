/**
 * The mocha set-up both database adapters' suites share: a private server rig started before the suite (or the
 * suite skipped, saying why, when the server binaries are missing), issued-user logins closed after each test,
 * and the conformance fixture of an issue-only database kind.
 */
import type { SecretAdapter } from '../../../adapters/contract.ts';
import type { ConformanceFixture } from '../../conformance/describe_adapter.ts';

/** What the shared hooks need of a rig (the mysql and postgres fixtures both offer it). */
export interface PrivateRig<Connection, Adapter> {
  adapter(): Adapter;
  login(user: string, password: string): Promise<Connection>;
  close(): Promise<void>;
}

/** The started rig and the logins a test opened (closed by the shared `afterEach`). */
export interface RigSuite<Rig, Connection> {
  rig(): Rig;
  login(value: Record<string, string>): Promise<Connection>;
  open: Connection[];
}

/** Registers the suite's hooks (call inside `describe`); `missing` says why the server cannot run, if it cannot. */
export function usePrivateRig<Connection extends { end(): Promise<unknown> }, Rig extends PrivateRig<Connection, unknown>>(
  missing: () => string | undefined | Promise<string | undefined>,
  start: () => Promise<Rig>,
): RigSuite<Rig, Connection> {
  let started: Rig | undefined;
  const open: Connection[] = [];
  before(async function () {
    const reason = await missing();
    if (reason !== undefined) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    started = await start();
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.end()));
  });
  after(async () => {
    await started?.close();
  });
  const rig = () => {
    if (started === undefined) throw new Error('the private rig is not started');
    return started;
  };
  return {
    rig,
    open,
    async login(value) {
      const connection = await rig().login(value.username!, value.password!);
      open.push(connection);
      return connection;
    },
  };
}

/** A database adapter as the conformance fixture drives it (it cleans up what the issue-only cases leave). */
type UsersAdapter = SecretAdapter & Required<Pick<SecretAdapter, 'listIssued' | 'revoke'>>;

/**
 * The conformance fixture of a database kind on `rig`: issue-only, no fields, the role `readonly`;
 * `userExists` asks the server itself whether the issued user is still there.
 */
export function usersConformanceFixture(kind: string, rig: () => { adapter(): UsersAdapter }, userExists: (username: string) => Promise<boolean>): () => Promise<ConformanceFixture> {
  return async () => {
    const adapter = rig().adapter();
    return {
      adapter,
      issueOnly: true,
      supportsFields: false,
      dynamicPath: 'readonly',
      // The user name and where to connect are in the handle by design; the password (and the URI holding it) never.
      publicFields: ['username', 'host', 'port', 'database'],
      seed: async () => {
        throw new Error(`${kind} mounts hold no static secrets`);
      },
      isRevoked: async (handle) => !(await userExists((handle as { username: string }).username)),
      close: async () => {
        await adapter.close();
        // The issue-only case leaves its credential to the fixture: remove every user the case created.
        const cleaner = rig().adapter();
        for (const { handle } of await cleaner.listIssued(AbortSignal.timeout(5000))) await cleaner.revoke({ handle, signal: AbortSignal.timeout(5000) });
        await cleaner.close();
      },
    };
  };
}
