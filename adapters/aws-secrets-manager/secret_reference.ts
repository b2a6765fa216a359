/**
 * Reference syntax of the Secrets Manager adapter, checked before any call so that a bad route fails as
 * `invalid_reference` instead of reaching AWS:
 * - path: a secret name (`prod/db/main`) or a full secret ARN in the mount's region;
 * - version: `stage:<label>` pins a staging label (`stage:AWSPREVIOUS`), anything else is a VersionId;
 * - field: a top-level key of a JSON-object SecretString, by the rule all string backends share
 *   (adapters/kit/select_field.ts).
 */
import { AdapterError } from '../contract.ts';

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;
const STAGE_LABEL = /^[A-Za-z0-9_.+=@-]{1,256}$/;

export interface SecretLookup {
  SecretId: string;
  VersionId?: string;
  VersionStage?: string;
}

/** Validates path and version into GetSecretValue parameters. */
export function secretLookup(path: string, version: string | undefined, region: string): SecretLookup {
  const arn = SECRET_ARN.exec(path);
  if (arn !== null) {
    // Secrets Manager only serves a secret from its own region; say so now rather than as a 400 later.
    if (arn[2] !== region) throw new AdapterError('invalid_reference', `secret ARN is in region ${arn[2]}, mount is in ${region}`);
  } else if (path.startsWith('arn:') || !SECRET_NAME.test(path)) {
    throw new AdapterError('invalid_reference', 'path is neither a secret name nor a Secrets Manager ARN');
  }
  const lookup: SecretLookup = { SecretId: path };
  if (version === undefined) return lookup;
  if (version.startsWith('stage:')) {
    const label = version.slice('stage:'.length);
    if (!STAGE_LABEL.test(label)) throw new AdapterError('invalid_reference', 'version stage label is malformed');
    lookup.VersionStage = label;
  } else if (VERSION_ID.test(version)) {
    lookup.VersionId = version;
  } else {
    throw new AdapterError('invalid_reference', 'version is neither stage:<label> nor a VersionId (32-64 chars)');
  }
  return lookup;
}
