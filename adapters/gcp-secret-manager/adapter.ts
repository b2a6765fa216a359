/**
 * GCP Secret Manager as a crefgate backend: `read` is one AccessSecretVersion call, checked against the
 * payload's CRC32C before anything is returned. Retries belong to crefgate's resilience layer, so the
 * library's own are switched off per call.
 */
import type { AdapterContext, HealthReport, ReadRequest, SecretAdapter, StaticSecret } from '../contract.ts';
import { AdapterError } from '../contract.ts';
import { raceAbort } from '../../src/deadline/abortable.ts';
import { HEALTH_PROBE_SECRET, probeHealth } from '../kit/health_probe.ts';
import { selectJsonField } from '../kit/select_field.ts';
import { createSecretManagerClient, type AccessResponse, type CreateGcpClient } from './client.ts';
import { crc32c } from './crc32c.ts';
import { manifest } from './index.ts';
import { mapGcpError } from './map_error.ts';
import type { GcpOptions } from './options.ts';
import { secretVersionName, versionOf } from './resource_name.ts';

export interface GcpAdapterDeps {
  createClient?: CreateGcpClient;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Builds a GCP Secret Manager adapter for one mount. */
export async function create(
  options: GcpOptions,
  _context: AdapterContext,
  deps: GcpAdapterDeps = {},
): Promise<SecretAdapter> {
  const client = await (deps.createClient ?? createSecretManagerClient)(options);
  const projects = { project: options.project, allowed: options.allowed_projects };

  // The race makes an abort reject at once even while the client is still connecting or fetching a token,
  // before any gRPC call exists for the interceptor to cancel.
  const access = (name: string, signal: AbortSignal): Promise<AccessResponse> =>
    abortable(() => client.access(name, signal), signal);

  return {
    kind: manifest.kind,

    async read(request: ReadRequest): Promise<StaticSecret> {
      const target = secretVersionName(request.path, request.version, projects);
      let response: Awaited<ReturnType<typeof access>>;
      try {
        response = await access(target.name, request.signal);
      } catch (err) {
        throw mapGcpError(err);
      }
      const data = toBytes(response.payload?.data);
      verifyChecksum(data, response.payload?.dataCrc32c, options.allow_missing_checksum);
      const version = versionOf(response.name);
      const text = decodeUtf8(data);
      if (text === undefined) {
        if (request.field !== undefined) throw new AdapterError('not_found', 'a field was requested but the secret is binary');
        return { value: Buffer.from(data).toString('base64'), encoding: 'base64', version };
      }
      const value = request.field === undefined ? text : selectJsonField(text, request.field);
      return { value, encoding: 'utf8', version };
    },

    health(signal: AbortSignal): Promise<HealthReport> {
      return probeHealth(() => access(`projects/${options.project}/secrets/${HEALTH_PROBE_SECRET}/versions/latest`, signal), {
        okDetail: 'reachable',
        answered: (err) => {
          const mapped = mapGcpError(err);
          return mapped.kind === 'not_found' || (mapped.kind === 'permission_denied' && isPermissionDenied(err)) ? 'reachable' : undefined;
        },
        failure: (err) => mapGcpError(err).reason,
      });
    },

    async close(): Promise<void> {
      await client.close();
    },
  };
}

/**
 * Rejects with an AdapterError when the payload's CRC32C does not match. A missing checksum is an integrity
 * error too unless the mount allows it: the service checksums every version it stores, so its absence means
 * either a very old version or a response that was tampered with, and crefgate cannot tell which.
 */
function verifyChecksum(data: Uint8Array, declared: unknown, allowMissing: boolean): void {
  if (declared === undefined || declared === null) {
    if (allowMissing) return;
    throw new AdapterError('integrity', 'the payload carries no data_crc32c');
  }
  // The client hands int64 fields over as decimal strings (or Long objects); both print as digits.
  const expected = Number(String(declared));
  if (!Number.isSafeInteger(expected) || expected < 0 || expected > 0xffffffff) {
    throw new AdapterError('integrity', 'data_crc32c is not a 32-bit checksum');
  }
  if (crc32c(data) !== expected) throw new AdapterError('integrity', 'payload CRC32C does not match data_crc32c');
}

function toBytes(data: Uint8Array | string | null | undefined): Uint8Array {
  if (data === null || data === undefined) return new Uint8Array(0);
  // protobufjs uses base64 strings for bytes only when configured to; the SDK hands over Buffers.
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}

function decodeUtf8(data: Uint8Array): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function isPermissionDenied(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 7;
}

/** Starts the call unless the signal already fired, and rejects as soon as it fires (the kit's race). */
async function abortable<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new AdapterError('timeout', 'aborted before the call', { cause: signal.reason });
  try {
    // After an abort the call still rejects (CANCELLED); raceAbort has already settled and ignores it.
    return await raceAbort(start(), signal);
  } catch (err) {
    if (signal.aborted) throw new AdapterError('timeout', 'aborted during the call', { cause: signal.reason });
    throw err;
  }
}
