/** Writes audit lines to standard output (container log collectors pick them up from there). */
import { checkpointLine, type AuditSink, type CheckpointRecord, type CommitBatch } from './sink.ts';

/** A sink that writes each batch to `stream` (default: process.stdout) and resolves when the OS accepted it. */
export function stdoutSink(options: { name: string; required: boolean; stream?: NodeJS.WritableStream }): AuditSink {
  const stream = options.stream ?? process.stdout;
  let lastError: string | undefined;
  return {
    name: options.name,
    required: options.required,
    async write(batch: CommitBatch): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        stream.write(batch.text, (err) => {
          lastError = err ? err.message : undefined;
          if (err) reject(err);
          else resolve();
        });
      });
    },
    async checkpoint(record: CheckpointRecord): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        stream.write(`${checkpointLine(record)}\n`, (err) => (err ? reject(err) : resolve()));
      });
    },
    async health() {
      return { ok: lastError === undefined, detail: lastError };
    },
    async close(): Promise<void> {},
  };
}
