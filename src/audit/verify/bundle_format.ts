/** Shapes of an export bundle, shared by the exporter and the verifier. */

export const BUNDLE_FORMAT = 'crefgate-audit-export/v1';
export const MANIFEST_NOTE = 'manifest.note';
export const KEYS_FILE = 'keys.json';

export interface ManifestLog {
  origin: string;
  /** Folder of this log in the bundle, e.g. `logs/0`. */
  dir: string;
  /** Seq of the first event held, and one past the last (for a contiguous export, every seq in between is held). */
  first_seq: number;
  end_seq: number;
  events: number;
  /** True when only some events of the range are held (tenant filter): each then carries an inclusion proof. */
  filtered: boolean;
  checkpoints: number;
  key_ids: string[];
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  created: string;
  since: string | null;
  until: string | null;
  tenant: string | null;
  event_format: 'ndjson' | 'ocsf';
  logs: ManifestLog[];
  /** SHA-256 (hex) of every other file of the bundle, by relative path. */
  files: Record<string, string>;
}

export interface BundleProofs {
  /** Frontier of the tree of the events before `first_seq` (contiguous exports only). */
  prefix: { size: number; hashes: string[] };
  /** Between successive checkpoints of distinct sizes. */
  consistency: { from: number; to: number; proof: string[] }[];
  /** From the end of the exported range to the first checkpoint past it. */
  tail?: { from: number; to: number; proof: string[] } | undefined;
  /** Filtered exports: each event's path in the tree of a checkpoint. */
  inclusion: { seq: number; size: number; proof: string[] }[];
}

export interface BundleKey {
  origin: string;
  vkey: string;
  key_id: string;
  not_before?: string | undefined;
  not_after?: string | undefined;
  role: 'checkpoint' | 'export';
}
