/**
 * The audit trail's public entry point. The code lives in four rooms (docs/audit.md, "Code layout"):
 * `trail/` writes the log, `sinks/` stores it, `log/` holds the primitives both sides share (line encoding,
 * Merkle tree, signed notes, checkpoints, log files), `verify/` reads it back. The gateway imports this file and
 * `contract.ts`; verification never imports the writer or the sinks (test/audit/rooms.test.ts).
 */
export type { AuditTrail } from './contract.ts';
export type { AuditConfig } from './config.ts';
export { createAuditTrail, type AuditDeps, type StreamingAuditTrail } from './trail/create_trail.ts';
export type { AuditObserver, AuditObserverPart, BatchCommitted, RecordOutcome, SinkWrite } from './trail/observer.ts';
export { observableTrail } from './trail/observer.ts';
export { verifyAuditFile } from './verify/verify_file.ts';
