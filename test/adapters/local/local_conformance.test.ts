/** The shared adapter conformance suite against the local sealed store. */
import { manifest } from '../../../adapters/local/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { localRig } from './local_fixture.ts';

describeAdapter(manifest.kind, async () => (await localRig()).fixture);
