/** The seams every adapter that keeps time or reads secrets from the environment offers tests and embedders. */

/** The clock (ms since the epoch) and the environment the adapter reads its own credentials from. */
export interface AdapterSeams {
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}
