/** The shared adapter conformance suite against the Vault emulator: KV v2, KV v1, HTTPS with a CA, a namespace. */
import { manifest } from '../../../adapters/vault/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { vaultRig } from './vault_fixture.ts';

describeAdapter(`${manifest.kind} kv2`, async () => (await vaultRig({ kvVersion: 2 })).fixture);
describeAdapter(`${manifest.kind} kv1`, async () => (await vaultRig({ kvVersion: 1 })).fixture);
describeAdapter(`${manifest.kind} kv2 over https with a configured CA`, async () => (await vaultRig({ kvVersion: 2, tls: true })).fixture);
describeAdapter(`${manifest.kind} kv2 in a namespace`, async () => (await vaultRig({ kvVersion: 2, namespace: 'team-a' })).fixture);
