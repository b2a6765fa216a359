/** The witness over real HTTP on 127.0.0.1: every answer of C2SP tlog-witness add-checkpoint, and its memory. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import { signCheckpoint } from '../../src/audit/log/checkpoint.ts';
import { MerkleTree, leafHash } from '../../src/audit/log/merkle.ts';
import { parseNote, parseVerifierKey, signerFromPem, verifierKeyString } from '../../src/audit/log/note.ts';
import { cosignerKeyString, parseCosignerKey, verifyCosignatures } from '../../src/audit/log/cosignature.ts';
import { formatAddCheckpoint } from '../../src/audit/log/witness_request.ts';
import { createWitnessServer, listen } from '../../src/witness/server.ts';
import { WitnessState } from '../../src/witness/state.ts';
import { makeTempFolder } from '../helpers/kit.ts';

const ORIGIN = 'audit.example/w-test';
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
const logSigner = signerFromPem(ORIGIN, pem());
const witnessSigner = signerFromPem('witness.example/w1', pem());
const witnessKey = parseCosignerKey(cosignerKeyString(witnessSigner));
const leaves = Array.from({ length: 40 }, (_, i) => leafHash(`event ${i}`));
const tree = new MerkleTree(leaves);
const forkTree = new MerkleTree(leaves.map((l, i) => (i === 3 ? leafHash('rewritten') : l)));

const checkpointOf = (size: number, t = tree, signer = logSigner) => signCheckpoint({ origin: ORIGIN, size, root: t.root(size), time: 1_700_000_000_000 + size }, [signer]);

describe('witness: C2SP tlog-witness over HTTP', function () {
  this.timeout(10_000);
  let server: Server;
  let state: WitnessState;
  let stateFolder: Awaited<ReturnType<typeof makeTempFolder>>;
  let stateDir: string;
  let url: string;

  const start = async () => {
    state = new WitnessState(stateDir);
    server = createWitnessServer({ signer: witnessSigner, logs: [parseVerifierKey(verifierKeyString(logSigner))], state });
    const address = await listen(server, '127.0.0.1', 0);
    url = `http://127.0.0.1:${address.port}/add-checkpoint`;
  };
  const stop = async () => {
    await new Promise((resolve) => server.close(resolve));
    state.close();
  };
  const post = async (body: string) => {
    const res = await fetch(url, { method: 'POST', body });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const add = (old: number, note: string, proof = tree.consistencyProof(old, Number(parseNote(note).text.split('\n')[1]))) =>
    post(formatAddCheckpoint({ oldSize: old, proof, note }));

  before(async () => {
    stateFolder = await makeTempFolder('crefgate-witness-');
    stateDir = stateFolder.path;
    await start();
  });
  after(async () => {
    await stop();
    await stateFolder?.remove();
  });

  it('cosigns the first checkpoint from old 0, per tlog-cosignature', async () => {
    const note = checkpointOf(10);
    const res = await add(0, note, []);
    assert.equal(res.status, 200, res.text);
    const cosignatures = verifyCosignatures(note + res.text, [witnessKey]);
    assert.equal(cosignatures.length, 1);
    assert.ok(Math.abs(cosignatures[0]!.time - Date.now() / 1000) < 60);
  });

  it('answers 409 with its latest size (text/x.tlog.size) when the old size is not its latest', async () => {
    const res = await add(0, checkpointOf(20), []);
    assert.deepEqual([res.status, res.type, res.text], [409, 'text/x.tlog.size', '10\n']);
  });

  it('cosigns a checkpoint that extends its latest, with a consistency proof', async () => {
    const res = await add(10, checkpointOf(20));
    assert.equal(res.status, 200, res.text);
    // The same checkpoint again (old = size, same root) is cosigned again.
    assert.equal((await add(20, checkpointOf(20), [])).status, 200);
  });

  it('refuses a fork: 422 for a rewritten history past its size, 409 for another root at its size', async () => {
    const forked = checkpointOf(30, forkTree);
    const proof = forkTree.consistencyProof(20, 30);
    assert.equal((await add(20, forked, proof)).status, 422);
    const same = await add(20, checkpointOf(20, forkTree), []);
    assert.deepEqual([same.status, same.text], [409, '20\n']);
  });

  it('refuses a rollback: an old size past the checkpoint is 400, a smaller checkpoint from an older size is 409', async () => {
    const res = await add(20, checkpointOf(15), []);
    assert.equal(res.status, 400);
    assert.match(res.text, /old size 20 is past the checkpoint size 15/);
    // From the true old size a smaller checkpoint cannot be reached either: 409 names the latest size.
    assert.equal((await add(10, checkpointOf(15), tree.consistencyProof(10, 15))).status, 409);
  });

  it('404 for an unknown origin, 403 for an unsigned or wrongly signed checkpoint, 400 for a malformed body', async () => {
    const other = signerFromPem('audit.example/other', pem());
    assert.equal((await post(formatAddCheckpoint({ oldSize: 0, proof: [], note: signCheckpoint({ origin: 'audit.example/other', size: 1, root: tree.root(1), time: undefined }, [other]) }))).status, 404);
    const impostor = signerFromPem(ORIGIN, pem());
    assert.equal((await add(20, checkpointOf(25, tree, impostor))).status, 403);
    const tampered = checkpointOf(25).replace(tree.root(25).toString('base64'), tree.root(24).toString('base64'));
    assert.equal((await add(20, tampered, tree.consistencyProof(20, 25))).status, 403);
    for (const body of ['', 'old 20\n', 'old 020\n\n' + checkpointOf(25), `old 20\nnot-base64\n\n${checkpointOf(25)}`, `old 20\n\n${checkpointOf(25).replace('\n\n', '\n')}`]) {
      assert.equal((await post(body)).status, 400, JSON.stringify(body));
    }
    const wrong = await fetch(url, { method: 'GET' });
    assert.equal(wrong.status, 405);
  });

  it('keeps its latest checkpoint across a restart, and one state folder has one witness', async () => {
    assert.throws(() => new WitnessState(stateDir), /in use by process/);
    await stop();
    await start();
    const res = await add(0, checkpointOf(40), []);
    assert.deepEqual([res.status, res.text], [409, '20\n']);
    assert.equal((await add(20, checkpointOf(40))).status, 200);
  });
});
