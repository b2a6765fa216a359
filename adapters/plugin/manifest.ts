/**
 * A plugin's manifest: the SHA-256 of every file in its folder. The config pins the manifest's own digest, so
 * one pin covers every file the plugin can execute (issue 15.4). Verification reads each file once and keeps
 * those bytes; the loader then serves exactly the bytes that were hashed, never a second read of the disk.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** The manifest's file name, in the plugin's folder beside its entry module. */
export const MANIFEST_NAME = 'crefgate-plugin.json';

/** Bounds on a plugin folder, so a mistaken folder (a home directory, a node_modules) fails fast. */
const MAX_FILES = 5000;
const MAX_BYTES = 64 * 1024 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;

/** Digest of one file's bytes, lowercase hex. */
export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** A verified plugin folder: its real root and the bytes of each listed file, by POSIX relative path. */
export interface VerifiedPlugin {
  root: string;
  files: Map<string, Buffer>;
}

/** A regular file found under the folder, with its bytes (read once). */
interface FoundFile {
  path: string;
  bytes: Buffer;
}

const posix = (path: string): string => path.split(sep).join('/');

/**
 * Walks `root` (already a real path): every regular file with its bytes. A symlink is followed only to check
 * that it stays inside the folder; one that leaves it is refused, naming the link. Anything else that is not a
 * directory or regular file (a socket, a device) is refused too.
 */
async function walk(root: string, label: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  let total = 0;
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const rel = posix(relative(root, full));
      const info = await lstat(full);
      if (info.isSymbolicLink()) {
        const target = await realpath(full).catch(() => null);
        if (target === null) throw new Error(`${label} refused: ${rel} is a dangling symlink`);
        if (!isInside(root, target)) {
          throw new Error(`${label} refused: ${rel} is a symlink out of the plugin folder (to ${target})`);
        }
        continue; // its target is inside, and is walked (and must be listed) under its own name
      }
      if (info.isDirectory()) {
        await visit(full);
        continue;
      }
      if (!info.isFile()) throw new Error(`${label} refused: ${rel} is not a regular file`);
      if (found.length >= MAX_FILES) throw new Error(`${label} refused: more than ${MAX_FILES} files in the folder`);
      const bytes = await readFile(full);
      total += bytes.length;
      if (total > MAX_BYTES) throw new Error(`${label} refused: the folder holds more than ${MAX_BYTES} bytes`);
      found.push({ path: rel, bytes });
    }
  };
  await visit(root);
  return found;
}

/** True when `path` is `root` or below it (both real paths). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/** Builds the manifest text for a plugin folder (used by `crefgate plugin pin`): every file but the manifest. */
export async function buildManifest(folder: string): Promise<string> {
  const root = await realpath(folder);
  const files: Record<string, string> = {};
  for (const file of await walk(root, `plugin folder ${root}`)) {
    if (file.path !== MANIFEST_NAME) files[file.path] = sha256Hex(file.bytes);
  }
  return `${JSON.stringify({ v: 1, files }, null, 2)}\n`;
}

/** Parses a manifest strictly: `{ v: 1, files: { "<relative path>": "<sha256>" } }` and nothing else. */
function parseManifest(text: string, label: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${label} refused: ${MANIFEST_NAME} is not JSON`);
  }
  const shape = parsed as { v?: unknown; files?: unknown };
  if (typeof parsed !== 'object' || parsed === null || Object.keys(parsed).sort().join() !== 'files,v' || shape.v !== 1) {
    throw new Error(`${label} refused: ${MANIFEST_NAME} must be {"v": 1, "files": {...}}`);
  }
  if (typeof shape.files !== 'object' || shape.files === null || Array.isArray(shape.files)) {
    throw new Error(`${label} refused: ${MANIFEST_NAME} "files" must be an object`);
  }
  const pins = new Map<string, string>();
  for (const [path, digest] of Object.entries(shape.files)) {
    if (typeof digest !== 'string' || !HEX64.test(digest)) {
      throw new Error(`${label} refused: ${MANIFEST_NAME} pins ${path} with something other than 64 hex digits`);
    }
    pins.set(path, digest);
  }
  return pins;
}

/**
 * Verifies a plugin folder against the pinned digest of its manifest: the manifest must hash to `pin`, every
 * listed file must exist with its digest, and no file may exist that the manifest does not list. Each error
 * names the file. Returns the verified bytes for the loader.
 */
export async function verifyPluginFolder(folder: string, pin: string, label: string): Promise<VerifiedPlugin> {
  const root = await realpath(folder);
  const found = await walk(root, label);
  const manifest = found.find((file) => file.path === MANIFEST_NAME);
  if (manifest === undefined) throw new Error(`${label} refused: no ${MANIFEST_NAME} in ${root} (run crefgate plugin pin)`);
  const manifestDigest = sha256Hex(manifest.bytes);
  if (manifestDigest !== pin) {
    throw new Error(`${label} refused: ${MANIFEST_NAME} sha256 is ${manifestDigest}, but config pins ${pin}`);
  }
  const pins = parseManifest(manifest.bytes.toString('utf8'), label);
  const files = new Map<string, Buffer>();
  for (const file of found) {
    if (file.path === MANIFEST_NAME) continue;
    const expected = pins.get(file.path);
    if (expected === undefined) throw new Error(`${label} refused: ${file.path} is not listed in ${MANIFEST_NAME}`);
    const actual = sha256Hex(file.bytes);
    if (actual !== expected) {
      throw new Error(`${label} refused: ${file.path} sha256 is ${actual}, but ${MANIFEST_NAME} pins ${expected}`);
    }
    files.set(file.path, file.bytes);
  }
  for (const path of pins.keys()) {
    if (!files.has(path)) throw new Error(`${label} refused: ${path} is listed in ${MANIFEST_NAME} but missing`);
  }
  return { root, files };
}
