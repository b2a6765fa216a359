/**
 * Node/V8 flags every gateway process is started with (`npm start`, `bin/crefgate`, the Dockerfile, the
 * benchmark); a test keeps those launchers in line with this list. V8 reads heap sizes only at start-up, so
 * they cannot be set from inside the process.
 *
 * Why (measured with `npm run bench`, docs/performance.md): by default V8 gives the young generation two 32 MB
 * semi-spaces and lets the old generation grow to several times its live size, so a gateway with ~45 MB of
 * live heap ran at 280-380 MB RSS under load. 8 MB semi-spaces and 1.5x old-generation growth kept peak RSS
 * at 173-178 MB with the same CPU per resolve; smaller semi-spaces (4 MB) promoted more short-lived request
 * objects and grew the heap instead.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=50'];

/** The flags this process was started without (a notice at start-up says memory will run higher). */
export function missingGatewayFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return GATEWAY_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
