/**
 * Structured JSON logs (pino). Secrets never reach a log line by construction (handlers log codes, steps and
 * ids, not bodies); the redact list is the second line of defence for fields that could carry one.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'secret', '*.secret', 'value', '*.value', 'token', '*.token', 'nonce', '*.nonce', 'sig', '*.sig',
  'password', '*.password', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'envelope', '*.envelope', 'secrets', '*.secrets', 'hmac', '*.hmac',
];

/** A logger writing JSON lines to `destination` (default stderr). */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.CREFGATE_LOG_LEVEL ?? 'info',
      base: { service: 'crefgate' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination(2),
  );
}

export interface ErrorSummary {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  cause?: ErrorSummary;
}

const MAX_MESSAGE = 500;

/**
 * What an error may put in a log line: name, code and message down its cause chain, never the object itself.
 * SDK errors carry their request (axios `config.headers` holds Vault's X-Vault-Token, Azure's request holds the
 * bearer token), and a logger would serialise every enumerable field of them.
 */
export function describeError(err: unknown, withStack = false, depth = 0): ErrorSummary {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err).slice(0, MAX_MESSAGE) };
  const code = (err as { code?: unknown }).code;
  const summary: ErrorSummary = { name: err.name, message: err.message.slice(0, MAX_MESSAGE) };
  if (typeof code === 'string' || typeof code === 'number') summary.code = String(code);
  if (withStack && err.stack !== undefined) summary.stack = err.stack;
  if (err.cause !== undefined && depth < 3) summary.cause = describeError(err.cause, withStack, depth + 1);
  return summary;
}
