/** Helpers for the ops tests: GET from a gateway's ops listener, read one sample from Prometheus text. */
import type { TestGateway } from '../helpers/gateway.ts';

export async function opsGet(gw: TestGateway, path: string): Promise<{ status: number; text: string; json: unknown }> {
  const address = gw.gateway.ops.address();
  if (address === undefined) throw new Error('ops listener is not listening');
  const res = await fetch(`http://127.0.0.1:${address.port}${path}`);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** The value of the sample `name{labels}` (labels matched exactly, in any order), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=[a-z_]+=")/).filter((p) => p !== '').sort().join(',');
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}
