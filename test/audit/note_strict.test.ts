/** Signed notes and checkpoints exactly as C2SP signed-note and tlog-checkpoint say: the spec examples parse, and
 * every malformed variant is refused with a reason. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { parseCheckpointText, signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { ed25519KeyId, isCanonicalBase64, parseNote, parseVerifierKey, rawPublicKey, signerFromPem, verifierKeyString, verifyNote, type NoteSigner } from '../../src/audit/log/note.ts';
import { verifyEvidence } from '../../src/audit/verify/verify_evidence.ts';
import { cosign, cosignerKeyString, parseCosignerKey, verifyCosignatures } from '../../src/audit/log/cosignature.ts';

// tlog-checkpoint and tlog-cosignature examples (c2sp.org): a checkpoint with a log signature and a witness cosignature.
const SPEC_CHECKPOINT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_COSIGNED = `${SPEC_CHECKPOINT}\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n`;
// signed-note example: the text holds an empty line; the last one separates the signatures.
const SPEC_POEM = 'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
const ORIGIN = 'audit.example/r1';
const logSigner = signerFromPem(ORIGIN, pem());
const ROOT = Buffer.alloc(32, 7).toString('base64');

/** A note over any text, bypassing signNote's own checks: what an attacker can write. */
function rawNote(text: string, signer: NoteSigner = logSigner): string {
  const blob = Buffer.alloc(4);
  blob.writeUInt32BE(signer.keyId);
  return `${text}\n— ${signer.name} ${Buffer.concat([blob, sign(null, Buffer.from(text), signer.privateKey)]).toString('base64')}\n`;
}

describe('C2SP notes: the spec examples', () => {
  it('parses the tlog-checkpoint example and reads the cosignature timestamp of the tlog-cosignature example', () => {
    const { text, signatures } = parseNote(SPEC_COSIGNED);
    assert.equal(text, SPEC_CHECKPOINT);
    assert.deepEqual(parseCheckpointText(text), { origin: 'example.com/behind-the-sofa', size: 20852163, root: Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64'), time: undefined });
    assert.deepEqual(signatures.map((s) => [s.name, s.signature.length]), [['example.com/behind-the-sofa', 64], ['witness.example.com/w1', 72]]);
    // timestamped_signature: u64 big-endian POSIX seconds, then the Ed25519 signature (the spec's "time 1679315147").
    assert.equal(signatures[1]!.signature.readBigUInt64BE(0), 1679315147n);
  });

  it('splits the signed-note example at its last blank line, keeping the empty line of the text', () => {
    const { text, signatures } = parseNote(SPEC_POEM);
    assert.equal(text.split('\n').length, 5);
    assert.equal(signatures[0]!.name, 'quasimodo.example/salvatore');
  });

  it('cosigns and verifies per tlog-cosignature/v1 (key type 0x04, timestamped signature)', () => {
    const witness = signerFromPem('witness.example/w1', pem());
    const vkey = cosignerKeyString(witness);
    const parsed = parseCosignerKey(vkey);
    assert.equal(parsed.keyId, ed25519KeyId(witness.name, rawPublicKey(witness.privateKey), 0x04));
    assert.throws(() => parseVerifierKey(vkey), /unsupported/, 'a witness key is not a note-signing key');
    const note = signCheckpoint({ origin: ORIGIN, size: 3, root: Buffer.alloc(32, 1), time: undefined }, [logSigner]);
    const cosigned = note + cosign(parseNote(note).text, witness, 1679315147);
    assert.deepEqual(verifyCosignatures(cosigned, [parsed]).map((c) => c.time), [1679315147]);
    // The log's own key does not verify the cosignature line, and the witness key is no log key: each is ignored.
    assert.equal(verifyNote(cosigned, [parseVerifierKey(verifierKeyString(logSigner))]).verifiedBy.length, 1);
    // A cosignature moved onto another checkpoint fails, and a failing known signature rejects the note.
    const other = signCheckpoint({ origin: ORIGIN, size: 4, root: Buffer.alloc(32, 2), time: undefined }, [logSigner]);
    const moved = other + cosigned.split('\n').filter((l) => l.startsWith('— witness')).join('\n') + '\n';
    assert.throws(() => verifyCosignatures(moved, [parsed]), /cosignature by known witness witness\.example\/w1\+[0-9a-f]{8} does not verify/);
  });
});

describe('C2SP notes: malformed notes are refused', () => {
  const good = signCheckpoint({ origin: ORIGIN, size: 5, root: Buffer.alloc(32, 7), time: Date.parse('2025-11-23T04:00:01.500Z') }, [logSigner]);
  const sigB64 = good.trim().split(' ').at(-1)!;
  const cases: [string, string, RegExp][] = [
    ['a tab in the text', rawNote(`${ORIGIN}\n5\n${ROOT}\ntime\t2025-11-23T04:00:01.500Z\n`), /control character/],
    ['a carriage return', rawNote(`${ORIGIN}\r\n5\n${ROOT}\n`), /control character/],
    ['a NUL byte', rawNote(`${ORIGIN}\u0000\n5\n${ROOT}\n`), /control character/],
    ['an escape sequence', rawNote(`${ORIGIN}\n5\n${ROOT}\n\u001b[2Jtime 2025-11-23T04:00:01.500Z\n`), /control character/],
    ['a lone surrogate (not UTF-8)', rawNote(`${ORIGIN}\ud800\n5\n${ROOT}\n`), /not valid UTF-8/],
    ['unpadded signature base64', good.replace(sigB64, sigB64.replace(/=+$/, '')), /non-canonical base64/],
    ['signature base64 with trailing bits', good.replace(sigB64, trailingBits(sigB64)), /non-canonical base64/],
    ['a key name with a space', good.replace(`— ${ORIGIN} `, `— ${ORIGIN} x `), /malformed note signature line/],
    ['a key name with a plus', good.replace(`— ${ORIGIN} `, `— a+b `), /key name/],
    ['no signature line', `${ORIGIN}\n5\n${ROOT}\n\n`, /no signature|malformed note/],
    ['a signature line without the em dash', good.replace('— ', '- '), /malformed note signature line/],
    ['no final newline', good.slice(0, -1), /malformed note/],
  ];
  for (const [what, note, reason] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseNote(note), reason);
    });
  }

  const checkpoints: [string, string, RegExp][] = [
    ['an empty extension line', `${ORIGIN}\n5\n${ROOT}\n\ntime 2025-11-23T04:00:01.500Z\n`, /empty line/],
    ['a size with a leading zero', `${ORIGIN}\n05\n${ROOT}\n`, /size/],
    ['a size with a sign', `${ORIGIN}\n+5\n${ROOT}\n`, /size/],
    ['a size past 2^53', `${ORIGIN}\n9007199254740993\n${ROOT}\n`, /size/],
    ['an unpadded root', `${ORIGIN}\n5\n${ROOT.replace('=', '')}\n`, /non-canonical/],
    ['a root with trailing bits', `${ORIGIN}\n5\n${trailingBits(ROOT)}\n`, /non-canonical/],
    ['a root of 31 bytes', `${ORIGIN}\n5\n${Buffer.alloc(31).toString('base64')}\n`, /root/],
    ['two lines only', `${ORIGIN}\n5\n`, /three lines/],
    ['an unparseable time', `${ORIGIN}\n5\n${ROOT}\ntime yesterday\n`, /time/],
    ['two time lines', `${ORIGIN}\n5\n${ROOT}\ntime 2025-11-23T04:00:01.500Z\ntime 2025-11-23T05:00:01.500Z\n`, /more than one time/],
  ];
  for (const [what, text, reason] of checkpoints) {
    it(`refuses a checkpoint with ${what}`, () => {
      assert.throws(() => parseCheckpointText(parseNote(rawNote(text)).text), reason);
    });
  }

  it('accepts the canonical forms it refuses variants of', () => {
    assert.equal(isCanonicalBase64(sigB64), true);
    assert.equal(parseCheckpointText(parseNote(good).text).size, 5);
    assert.equal(parseCheckpointText(`${ORIGIN}\n0\n${ROOT}\n`).size, 0);
  });
});

describe('checkpoint signers: the origin key, inside its window', () => {
  const exportSigner = signerFromPem('crefgate/export', pem());
  const evidence = (note: string, keys: { vkey: string; not_before?: string; not_after?: string }[]) =>
    verifyEvidence({ origin: ORIGIN, lines: [], firstSeq: 0, filtered: false, checkpoints: [{ note, where: 'cp:1' }], proofs: { prefix: { size: 0, hashes: [] }, consistency: [], inclusion: [] }, keys });
  const empty = (time: number | undefined, signers: NoteSigner[]) => signCheckpoint({ origin: ORIGIN, size: 0, root: Buffer.from('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'base64'), time }, signers);

  it('refuses a checkpoint signed only by the export key, even when that key is pinned', () => {
    const report = evidence(rawNote(`${ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n`, exportSigner), [{ vkey: verifierKeyString(exportSigner) }]);
    assert.deepEqual(report.findings.map((f) => f.kind), ['forged_checkpoint']);
    assert.match(report.findings[0]!.message, /signed only by crefgate\/export, not by a key named for the origin/);
  });

  it('refuses a checkpoint without a time line signed by a retired (windowed) key', () => {
    const window = { vkey: verifierKeyString(logSigner), not_before: '2025-01-01T00:00:00Z', not_after: '2025-06-01T00:00:00Z' };
    const untimed = evidence(empty(undefined, [logSigner]), [window]);
    assert.match(untimed.findings[0]?.message ?? '', /no time line, and its key has a validity window/);
    const outside = evidence(empty(Date.parse('2025-07-01T00:00:00Z'), [logSigner]), [window]);
    assert.match(outside.findings[0]?.message ?? '', /outside the key's validity window/);
    const inside = evidence(empty(Date.parse('2025-03-01T00:00:00Z'), [logSigner]), [window]);
    assert.deepEqual(inside.findings, []);
    // A key without a window accepts a checkpoint without time (the C2SP format has none).
    assert.deepEqual(evidence(empty(undefined, [logSigner]), [{ vkey: verifierKeyString(logSigner) }]).findings, []);
    // A window bound that does not parse makes the key useless, not unbounded.
    assert.equal(evidence(empty(Date.parse('2025-03-01T00:00:00Z'), [logSigner]), [{ ...window, not_after: 'soon' }]).findings.length, 1);
  });

  it('rejects the whole checkpoint when one signature by a known key fails, even if another verifies', () => {
    const second = signerFromPem(ORIGIN, pem());
    const note = empty(Date.parse('2025-03-01T00:00:00Z'), [logSigner, second]);
    const lines = note.split('\n');
    const broken = lines.map((l, i) => (i === lines.length - 2 ? l.replace(/.{6}=$/, (m) => `${m[0] === 'A' ? 'B' : 'A'}${m.slice(1)}`) : l)).join('\n');
    const report = evidence(broken, [{ vkey: verifierKeyString(logSigner) }, { vkey: verifierKeyString(second) }]);
    assert.match(report.findings[0]?.message ?? '', /signature by known key .* does not verify/);
  });
});

/** The same bytes with non-zero unused bits in the last base64 character (decodes the same in lax decoders). */
function trailingBits(b64: string): string {
  const stripped = b64.replace(/=+$/, '');
  const pad = b64.slice(stripped.length);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const last = alphabet.indexOf(stripped.at(-1)!);
  return `${stripped.slice(0, -1)}${alphabet[last | 1]}${pad}`;
}
