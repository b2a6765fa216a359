/** `crefgate/client`: the typed client for coordinators, executors, admins and auditors. */
export { CrefgateClient, envelopeBody, type IssueJobInput, type LeaseInfo, type ResolveResult, type ResolvedSecret } from './client.ts';
export { CrefgateError, type TransportOptions } from './http.ts';
export { verifyEnvelope, type EnvelopeCheck } from './verify_envelope.ts';
export { proxyTarget, type ProxyTarget } from './proxy.ts';
export { ExecutorSession, withExecutorSession, withRetries, isTransient, type ExecutorSessionOptions } from './executor_session.ts';
export type { Envelope, JobPayload } from '../envelope/schema.ts';
