/**
 * The local store's failures as AdapterErrors. The file system or crypto error stays in `cause` for operators;
 * the reason never quotes the file's contents.
 */
import { AdapterError } from '../contract.ts';

/** The store file could not be read or parsed: the backend is unavailable, not the secret missing. */
export function storeUnreadable(cause: unknown): AdapterError {
  return new AdapterError('unavailable', 'local store file unreadable', { cause });
}

/** An entry failed AES-GCM authentication: a wrong key or a tampered file, never a value handed out. */
export function entryTampered(cause: unknown): AdapterError {
  return new AdapterError('integrity', 'local secret failed authentication (wrong key or tampered)', { cause });
}
