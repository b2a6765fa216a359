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
