/** The shared adapter conformance suite against the GitHub emulator, installation found by id, by org and by repository. */
import { manifest } from '../../../adapters/github-app/index.ts';
import { describeAdapter } from '../../conformance/describe_adapter.ts';
import { githubRig } from './github_fixture.ts';

describeAdapter(`${manifest.kind} (installation by id)`, async () => (await githubRig({ installation: 'id' })).fixture);
describeAdapter(`${manifest.kind} (installation by org, app named by client id)`, async () => (await githubRig({ installation: 'org', appIdAs: 'client_id' })).fixture);
describeAdapter(`${manifest.kind} (installation by repository)`, async () => (await githubRig({ installation: 'repository' })).fixture);
