/**
 * The `local` adapter kind: the embedded default's sealed secret store (adapter.ts). Static secrets only; see
 * docs/adapters/authoring.md for the folder template.
 */
import { defineAdapter } from '../kit/manifest.ts';
import { localOptionsSchema } from './options.ts';

export const manifest = defineAdapter({
  kind: 'local',
  optionsSchema: localOptionsSchema,
  load: () => import('./adapter.ts'),
});

export type { LocalOptions } from './options.ts';
