/** The vocabulary of verification: what kind of tampering or damage a finding names, and where. */

export type FindingKind =
  | 'malformed'
  | 'modified'
  | 'inserted'
  | 'deleted'
  | 'reordered'
  | 'truncated'
  | 'torn_tail'
  | 'origin_mismatch'
  | 'forged_checkpoint'
  | 'root_mismatch'
  | 'bad_proof'
  | 'checkpoint_regression'
  | 'bad_manifest'
  | 'missing_file'
  /** Events no valid checkpoint covers (a log without checkpoints, or a tail older than the checkpoint interval). */
  | 'unattested'
  /** `--witness-key`: the checkpoint covering the end of the log carries no valid cosignature of that witness. */
  | 'unwitnessed';

export interface Finding {
  kind: FindingKind;
  /** `file:line` of the offending line, or the file / checkpoint concerned. */
  where: string;
  message: string;
  seq?: number | undefined;
}

/** Orders findings by where they occur so that "the first bad line" is the first finding. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
}
