/**
 * The shared adapter conformance suite against the STS emulator, through the real @aws-sdk/client-sts. STS
 * mounts issue only, so the suite runs its issue-only cases: read refused, faults on AssumeRole retryable, an
 * aborted signal honoured, nothing leaked. Sessions are not revocable one by one, so no revoke is checked.
 */
import { manifest } from '../../../adapters/aws-sts/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { stsOn } from './aws_fixture.ts';
import { StsEmulator } from './emulator/sts.ts';

describeAdapter(manifest.kind, async () => {
  const emulator = new StsEmulator();
  const adapter = await stsOn(await emulator.start(), { account_id: '210987654321' });
  return {
    adapter,
    issueOnly: true,
    dynamicPath: 'ci/deployer',
    supportsFields: false,
    // The session's expiry names it rather than protects it: the handle records it for the lease.
    publicFields: ['expiration'],
    seed: async () => {
      throw new Error('STS has no static secrets to seed');
    },
    setFault: (fault) => {
      emulator.fault = fault === null ? null : fault === 'throttled' ? 'throttled' : 'internal';
    },
    close: async () => {
      await adapter.close();
      await emulator.close();
    },
  };
});
