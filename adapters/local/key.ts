/** The local store's key: 32 bytes, base64, from a file in the state folder or an environment variable. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalOptions } from './options.ts';

/** Decodes a base64 key and checks it is 32 bytes. */
export function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${where} must hold 32 bytes, base64 encoded`);
  return key;
}

/** Loads the local store key named by the options. */
export function loadLocalKey(options: LocalOptions, baseDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (options.key_env !== undefined) {
    const text = env[options.key_env];
    if (text === undefined) throw new Error(`environment variable ${options.key_env} is not set`);
    return decodeKey(text, options.key_env);
  }
  const file = path.resolve(baseDir, options.key_file!);
  return decodeKey(readFileSync(file, 'utf8'), file);
}
