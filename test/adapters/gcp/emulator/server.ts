/**
 * A wire-level GCP Secret Manager emulator: a grpc-js server built from the .proto files shipped inside the
 * npm packages, answering AccessSecretVersion the way the service does (WIRE-FACTS.md). The real SDK client
 * talks to it over plaintext gRPC on 127.0.0.1. Only what the adapter calls is implemented; other methods
 * answer UNIMPLEMENTED.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { crc32c } from '../../../../adapters/gcp-secret-manager/crc32c.ts';

const require = createRequire(import.meta.url);
const protoDir = (pkg: string): string => join(dirname(require.resolve(pkg)), '..', 'protos');

/** gRPC status codes the emulator can be told to answer with. */
export type GcpFault = 'NOT_FOUND' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED' | 'DEADLINE_EXCEEDED';
/** How the emulator fills `data_crc32c`: right, off by one bit, or left out. */
export type ChecksumMode = 'correct' | 'wrong' | 'missing';

interface StoredVersion {
  data: Buffer;
  enabled: boolean;
}

interface AccessRequest {
  name: string;
}

export interface ObservedCall {
  name: string;
  authorization: string | undefined;
}

export class GcpSecretManagerEmulator {
  readonly #server = new grpc.Server();
  /** Secret resource name (`projects/p/secrets/s`) → versions, version n at index n-1. */
  readonly #secrets = new Map<string, StoredVersion[]>();
  readonly #denied = new Set<string>();
  port = 0;
  fault: GcpFault | null = null;
  checksum: ChecksumMode = 'correct';
  /** Delay before each answer, to test cancellation; a cancelled call is never answered. */
  latencyMs = 0;
  /** How many calls the client cancelled before the answer. */
  cancelled = 0;
  /** Every AccessSecretVersion the emulator received, in order. */
  readonly calls: ObservedCall[] = [];

  /** Starts the emulator on 127.0.0.1 and a free port. */
  static async start(): Promise<GcpSecretManagerEmulator> {
    const emulator = new GcpSecretManagerEmulator();
    await emulator.#listen();
    return emulator;
  }

  async #listen(): Promise<void> {
    const definition = protoLoader.loadSync('google/cloud/secretmanager/v1/service.proto', {
      includeDirs: [protoDir('@google-cloud/secret-manager'), protoDir('google-gax')],
      keepCase: true,
      longs: String,
      defaults: false,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
    };
    this.#server.addService(loaded.google.cloud.secretmanager.v1.SecretManagerService.service, {
      AccessSecretVersion: (call: grpc.ServerUnaryCall<AccessRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (this.latencyMs === 0) return this.#access(call, callback);
        const timer = setTimeout(() => this.#access(call, callback), this.latencyMs);
        call.on('cancelled', () => {
          clearTimeout(timer);
          this.cancelled++;
        });
      },
    });
    this.port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
        err === null ? resolve(port) : reject(err),
      );
    });
  }

  /** Adds a new version to `secret` (`projects/p/secrets/s`), creating the secret; returns the version number. */
  addVersion(secret: string, data: string | Buffer): number {
    const versions = this.#secrets.get(secret) ?? [];
    versions.push({ data: Buffer.from(data), enabled: true });
    this.#secrets.set(secret, versions);
    return versions.length;
  }

  /** Disables version `n` of `secret`: accessing it then fails with FAILED_PRECONDITION, as the service does. */
  disableVersion(secret: string, n: number): void {
    const version = this.#secrets.get(secret)?.[n - 1];
    if (version !== undefined) version.enabled = false;
  }

  /** Makes every access to `secret` fail with PERMISSION_DENIED. */
  deny(secret: string): void {
    this.#denied.add(secret);
  }

  async stop(): Promise<void> {
    this.#server.forceShutdown();
  }

  #access(call: grpc.ServerUnaryCall<AccessRequest, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const name = call.request.name;
    const authorization = call.metadata.get('authorization')[0];
    this.calls.push({ name, authorization: typeof authorization === 'string' ? authorization : undefined });
    const fail = (code: grpc.status, details: string): void => callback({ code, details, metadata: new grpc.Metadata() });
    if (this.fault !== null) return fail(grpc.status[this.fault], `emulated ${this.fault} for ${name}`);
    const match = /^(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    if (match === null) return fail(grpc.status.INVALID_ARGUMENT, `Invalid resource field value in the request: ${name}`);
    const [, secret = '', wanted = ''] = match;
    if (this.#denied.has(secret)) {
      return fail(grpc.status.PERMISSION_DENIED, `Permission 'secretmanager.versions.access' denied for resource '${name}'`);
    }
    const versions = this.#secrets.get(secret) ?? [];
    const number = wanted === 'latest' ? latestEnabled(versions) : /^[1-9][0-9]*$/.test(wanted) ? Number(wanted) : 0;
    const version = versions[number - 1];
    if (version === undefined) return fail(grpc.status.NOT_FOUND, `Secret Version [${name}] not found.`);
    if (!version.enabled) return fail(grpc.status.FAILED_PRECONDITION, `Secret Version [${name}] is in DISABLED state.`);
    const payload: { data: Buffer; data_crc32c?: string } = { data: version.data };
    const sum = crc32c(version.data);
    if (this.checksum === 'correct') payload.data_crc32c = String(sum);
    // Flipping the lowest bit keeps the value a valid uint32 that matches nothing this data could produce.
    if (this.checksum === 'wrong') payload.data_crc32c = String((sum ^ 1) >>> 0);
    callback(null, { name: `${secret}/versions/${number}`, payload });
  }
}

function latestEnabled(versions: StoredVersion[]): number {
  for (let i = versions.length; i > 0; i--) if (versions[i - 1]!.enabled) return i;
  return 0;
}
