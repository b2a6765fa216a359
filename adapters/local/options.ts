/** Mount options of the `local` kind: where the sealed store file is and where its key comes from. */
import { z } from 'zod';

export const localOptionsSchema = z
  .strictObject({
    file: z.string().default('local-secrets.json').describe('sealed store file, relative to the state folder'),
    key_file: z.string().optional().describe('file holding the 32-byte key, base64'),
    key_env: z.string().optional().describe('environment variable holding the 32-byte key, base64'),
    key_id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('local-1'),
  })
  .refine((o) => (o.key_file === undefined) !== (o.key_env === undefined), { message: 'exactly one of key_file or key_env' });

export type LocalOptions = z.infer<typeof localOptionsSchema>;
