/**
 * The SDK edge of the GCP adapter: the one call the adapter makes, and the default factory that builds the
 * official client. The SDK (and gRPC with it) is imported only when a GCP mount is created.
 */
import type { protos } from '@google-cloud/secret-manager';
import { cancelOnAbort } from './cancel_on_abort.ts';
import type { GcpOptions } from './options.ts';

export type AccessResponse = protos.google.cloud.secretmanager.v1.IAccessSecretVersionResponse;

/** What the adapter needs from Secret Manager; tests may hand in another implementation. */
export interface GcpSecretManagerClient {
  /** One AccessSecretVersion call for a version resource name, cancelled when `signal` fires. */
  access(name: string, signal: AbortSignal): Promise<AccessResponse>;
  close(): Promise<void>;
}

export type CreateGcpClient = (options: GcpOptions) => GcpSecretManagerClient | Promise<GcpSecretManagerClient>;

/**
 * Builds the official client. Credentials are Application Default Credentials unless `insecure` (tests),
 * where the channel is plaintext and carries none. `universeDomain` is always passed: without it the client
 * asks the GCE metadata server for the universe while connecting.
 */
export const createSecretManagerClient: CreateGcpClient = async (options) => {
  const [{ SecretManagerServiceClient }, grpc] = await Promise.all([
    import('@google-cloud/secret-manager'),
    import('@grpc/grpc-js'),
  ]);
  const clientOptions: ConstructorParameters<typeof SecretManagerServiceClient>[0] = {
    projectId: options.project,
    universeDomain: options.universe_domain,
  };
  if (options.api_endpoint !== undefined) clientOptions.apiEndpoint = options.api_endpoint;
  if (options.port !== undefined) clientOptions.port = options.port;
  if (options.insecure) clientOptions.sslCreds = grpc.credentials.createInsecure();
  const sdk = new SecretManagerServiceClient(clientOptions);
  let closed: Promise<void> | undefined;
  return {
    async access(name, signal) {
      const [response] = await sdk.accessSecretVersion(
        { name },
        // retry: null switches the library's retries (2 s backoff on UNAVAILABLE/RESOURCE_EXHAUSTED) off:
        // crefgate's resilience layer owns retries and their budget.
        { retry: null, otherArgs: { options: { interceptors: [cancelOnAbort(grpc, signal)] } } },
      );
      return response;
    },
    close() {
      closed ??= sdk.close();
      return closed;
    },
  };
};
