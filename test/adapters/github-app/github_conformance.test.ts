/** The shared adapter conformance suite against the GitHub emulator, installation found by id, by org and by repository. */
import { describeAdapter } from '../conformance/describe_adapter.ts';
import { githubRig } from './github_fixture.ts';

describeAdapter('github-app (installation by id)', async () => (await githubRig({ installation: 'id' })).fixture);
describeAdapter('github-app (installation by org, app named by client id)', async () => (await githubRig({ installation: 'org', appIdAs: 'client_id' })).fixture);
describeAdapter('github-app (installation by repository)', async () => (await githubRig({ installation: 'repository' })).fixture);
