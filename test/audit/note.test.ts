import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { parseVerifierKey, signNote, signerFromPem, signerFromSeed, verifierKeyString, verifyNote } from '../../src/audit/log/note.ts';

// The example of the signed-note spec (also golang.org/x/mod/sumdb/note): key, text and signature.
const SPEC_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const SPEC_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SPEC_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SPEC_NOTE = `${SPEC_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function specSigner() {
  // PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>; the base64 itself may contain '+'.
  const material = Buffer.from(SPEC_SKEY.split('+').slice(4).join('+'), 'base64');
  return signerFromSeed('PeterNeumann', material.subarray(1));
}

describe('C2SP signed note (spec example)', () => {
  it('reproduces the spec example byte for byte (Ed25519 is deterministic)', () => {
    assert.equal(signNote(SPEC_TEXT, [specSigner()]), SPEC_NOTE);
    assert.equal(verifierKeyString(specSigner()), SPEC_VKEY);
  });

  it('verifies the spec example with its verifier key, and refuses a changed text', () => {
    const verifier = parseVerifierKey(SPEC_VKEY);
    assert.equal(verifyNote(SPEC_NOTE, [verifier]).verifiedBy.length, 1);
    // A signature by a known key that fails rejects the whole note (not merely "no verified signer").
    assert.throws(() => verifyNote(SPEC_NOTE.replace('cryptography', 'cryptographY'), [verifier]), /known key PeterNeumann\+c74f20a3 does not verify/);
  });

  it('refuses a verifier key whose id does not match the key', () => {
    assert.throws(() => parseVerifierKey(SPEC_VKEY.replace('c74f20a3', 'c74f20a4')), /does not match/);
  });

  it('signs with a PEM key and ignores signatures by unknown keys', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    const signer = signerFromPem('audit.example/r1', pem);
    const note = signNote('audit.example/r1\n3\nAAAA\n', [signer]);
    assert.equal(verifyNote(note, [parseVerifierKey(verifierKeyString(signer))]).verifiedBy.length, 1);
    assert.equal(verifyNote(note, [parseVerifierKey(SPEC_VKEY)]).verifiedBy.length, 0);
  });
});
