/**
 * The `github-app` adapter kind: GitHub App installation access tokens, one per job and cref, scoped to the
 * route's repositories and permissions, revoked at the job's end (adapter.ts). See docs/adapters/github.md.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { githubAppOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'github-app',
  optionsSchema: githubAppOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { GitHubAppOptions } from './options.ts';
