/**
 * Turns a route's backend path (plus an optional pinned version) into the one secret version resource name
 * that AccessSecretVersion reads. Two forms, told apart by their first segment:
 *
 * - a full resource name, `projects/<p>[/locations/<l>]/secrets/<s>[/versions/<v>]`, whose project must be the
 *   mount's project or one it allows (otherwise a route template could reach into any project);
 * - a relative path `a/b/c` read from the mount's project. Secret ids cannot hold `/`, so segments are joined
 *   with `__`; a segment may not itself contain `__` or start or end with `_`, which keeps the mapping one to
 *   one: two different paths never name the same secret.
 *
 * Everything that fits neither form is refused as `invalid_reference`, never repaired.
 */
import { AdapterError } from '../contract.ts';

const SEPARATOR = '__';
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const SEGMENT = /^[A-Za-z0-9-](?:[A-Za-z0-9_-]*[A-Za-z0-9-])?$/;
// `latest`, a version number, or a version alias.
const VERSION = /^[A-Za-z0-9_-]{1,63}$/;
const PROJECT = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})$/;
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;
const FULL_NAME =
  /^projects\/([^/]+)(?:\/locations\/([^/]+))?\/secrets\/([^/]+)(?:\/versions\/([^/]+))?$/;

export interface SecretVersionName {
  /** `projects/<p>[/locations/<l>]/secrets/<s>/versions/<v>` */
  name: string;
  project: string;
}

/** Builds the version resource name for `path`; `version` defaults to `latest`. */
export function secretVersionName(
  path: string,
  version: string | undefined,
  projects: { project: string; allowed: readonly string[] },
): SecretVersionName {
  if (version !== undefined && !VERSION.test(version)) throw invalid('the version is not a version id or alias');
  if (path.startsWith('projects/')) return fromFullName(path, version, projects);
  const segments = path.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment.includes(SEPARATOR)) {
      throw invalid('a path segment is not usable in a secret id (letters, digits, -, inner single _)');
    }
  }
  const secretId = segments.join(SEPARATOR);
  if (!SECRET_ID.test(secretId)) throw invalid('the secret id is longer than 255 characters');
  return {
    name: `projects/${projects.project}/secrets/${secretId}/versions/${version ?? 'latest'}`,
    project: projects.project,
  };
}

function fromFullName(
  path: string,
  version: string | undefined,
  projects: { project: string; allowed: readonly string[] },
): SecretVersionName {
  const match = FULL_NAME.exec(path);
  if (match === null) throw invalid('not a secret or secret version resource name');
  const [, project = '', location, secretId = '', pathVersion] = match;
  if (!PROJECT.test(project) || !SECRET_ID.test(secretId)) throw invalid('malformed project or secret id');
  if (location !== undefined && !LOCATION.test(location)) throw invalid('malformed location');
  if (pathVersion !== undefined && !VERSION.test(pathVersion)) throw invalid('malformed version in the resource name');
  if (project !== projects.project && !projects.allowed.includes(project)) {
    throw new AdapterError('permission_denied', 'the resource name names a project this mount does not allow');
  }
  // Two different versions for one read is a contradiction in config, not something to pick a winner for.
  if (pathVersion !== undefined && version !== undefined && pathVersion !== version) {
    throw invalid('the resource name and the route pin different versions');
  }
  const where = location === undefined ? '' : `/locations/${location}`;
  return {
    name: `projects/${project}${where}/secrets/${secretId}/versions/${pathVersion ?? version ?? 'latest'}`,
    project,
  };
}

/** The version id at the end of a version resource name (`…/versions/3` → `3`). */
export function versionOf(name: string | null | undefined): string | undefined {
  if (typeof name !== 'string') return undefined;
  const at = name.lastIndexOf('/versions/');
  return at < 0 ? undefined : name.slice(at + '/versions/'.length) || undefined;
}

function invalid(reason: string): AdapterError {
  return new AdapterError('invalid_reference', reason);
}
