/** Polls `probe` every 100 ms until it yields a value (errors count as "not yet"), or fails after `timeoutMs`. */
import { setTimeout as delay } from 'node:timers/promises';

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}
