/** The "another executor" of the cross-executor tests: `exec-02` of tenant_abc, next to the fixture's exec-01. */
import type { TestGateway } from './gateway.ts';

export const EXEC_02_IDENTITY = 'spiffe://crefgate.local/tenant/tenant_abc/executor/exec-02';

/** Issues exec-02 a client certificate and registers it, allowed every tenant_abc cref (as exec-01 is). */
export async function addSecondExecutor(gw: TestGateway): Promise<void> {
  await gw.issueClient('exec-02', EXEC_02_IDENTITY);
  await gw.client('admin').registerExecutor({ id: 'exec-02', tenant: 'tenant_abc', identities: [EXEC_02_IDENTITY], allowed_crefs: ['cref://tenant_abc/**'] });
}
