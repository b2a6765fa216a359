/**
 * The pure parts of the database adapters (both kinds): user names, statement checking, error mapping, intent
 * comments. The server-facing behaviour is tested against real servers in postgres.test.ts and mysql.test.ts.
 */
import assert from 'node:assert/strict';
import { AdapterError } from '../../../adapters/contract.ts';
import { mapMysqlError } from '../../../adapters/mysql/map_error.ts';
import { mapPgError } from '../../../adapters/postgres/map_error.ts';
import { scramVerifier } from '../../../adapters/postgres/scram.ts';
import { connectionUri, intentText, parseIntent } from '../../../adapters/sql_users/lease.ts';
import { newPassword, userName } from '../../../adapters/sql_users/names.ts';
import { parseStatement, render } from '../../../adapters/sql_users/statements.ts';

const pgError = (code: string) => Object.assign(new Error('server text with cg_user and a statement'), { code });
const myError = (errno: number) => Object.assign(new Error('server text'), { errno, sqlState: 'HY000', code: 'ER_X' });

describe('database adapters: names, statements, errors', () => {
  it('derives names of [a-z0-9_] within the limit, unique, whatever the tenant and job hold', () => {
    for (const limit of [32, 63]) {
      const names = new Set<string>();
      for (let i = 0; i < 500; i++) {
        const name = userName('cg_', `ten'ant"; DROP${'x'.repeat(i)}`, `job_${'é;'.repeat(i)}abc`, limit);
        assert.match(name, /^cg_[a-z0-9]+_[a-z0-9]+_[a-z2-7]{10}$/);
        assert.ok(name.length <= limit, `${name.length} > ${limit}`);
        names.add(name);
      }
      assert.equal(names.size, 500);
    }
    assert.throws(() => userName('a'.repeat(21), 't', 'j', 32), /no room/);
    assert.ok(newPassword().length >= 24);
  });

  it('accepts one statement with known placeholders and renders them through the quoting function only', () => {
    assert.equal(render(parseStatement("CREATE ROLE {{name}} PASSWORD {{password}} VALID UNTIL {{ expiration }};"), (p) => `<${p}>`),
      'CREATE ROLE <name> PASSWORD <password> VALID UNTIL <expiration>');
    // Quoted identifiers may hold what would otherwise be refused; the text around placeholders is kept verbatim.
    assert.equal(render(parseStatement('GRANT SELECT ON "odd;--name" TO {{name}}'), () => '"u"'), 'GRANT SELECT ON "odd;--name" TO "u"');
  });

  it('refuses several statements, comments, dollar quotes, unknown placeholders and broken quotes', () => {
    const bad: Array<[string, RegExp]> = [
      ['CREATE ROLE {{name}}; DROP ROLE admin', /more than one/],
      ["SELECT ';' ; SELECT 1", /more than one/],
      ['CREATE ROLE {{name}} /* x */', /comment/],
      ['CREATE ROLE {{name}} # x', /comment/],
      ['DO $$ BEGIN END $$', /dollar/],
      ["CREATE ROLE {{name}} PASSWORD 'x", /unterminated/],
      ['CREATE ROLE {{user}}', /unknown placeholder/],
      ['CREATE ROLE {{name}', /unbalanced/],
      ['   ', /empty/],
    ];
    for (const [sql, message] of bad) assert.throws(() => parseStatement(sql), message, sql);
    // A `;` or `--` inside quotes is data, not a second statement or a comment.
    assert.doesNotThrow(() => parseStatement("COMMENT ON ROLE {{name}} IS 'a; b -- c'"));
  });

  it('maps PostgreSQL failures to typed errors whose reason never carries server text', () => {
    const cases: Array<[unknown, AdapterError['kind']]> = [
      [pgError('28P01'), 'permission_denied'], [pgError('42501'), 'permission_denied'], [pgError('42704'), 'not_found'],
      [pgError('57014'), 'timeout'], [pgError('57P01'), 'unavailable'], [pgError('08006'), 'unavailable'], [pgError('40P01'), 'unavailable'],
      [pgError('XX000'), 'unavailable'], [pgError('42601'), 'invalid_reference'], [pgError('ECONNREFUSED'), 'unavailable'],
      [new Error('Connection terminated unexpectedly'), 'unavailable'], [new Error('something else'), 'unavailable'],
    ];
    for (const [err, kind] of cases) {
      const mapped = mapPgError(err, 'issue');
      assert.ok(mapped instanceof AdapterError);
      assert.equal(mapped.kind, kind, String((err as { code?: string }).code));
      assert.ok(!mapped.reason.includes('server text'));
      assert.equal(mapped.cause, err);
    }
  });

  it('maps MySQL/MariaDB failures to typed errors whose reason never carries server text', () => {
    const cases: Array<[unknown, AdapterError['kind']]> = [
      [myError(1045), 'permission_denied'], [myError(1227), 'permission_denied'], [myError(1142), 'permission_denied'],
      [myError(1927), 'unavailable'], [myError(1213), 'unavailable'], [myError(1040), 'unavailable'], [myError(3024), 'timeout'],
      [myError(1064), 'invalid_reference'], [myError(1959), 'invalid_reference'],
      [Object.assign(new Error('x'), { code: 'PROTOCOL_CONNECTION_LOST' }), 'unavailable'],
      [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'unavailable'],
    ];
    for (const [err, kind] of cases) {
      const mapped = mapMysqlError(err, 'revoke');
      assert.ok(mapped instanceof AdapterError);
      assert.equal(mapped.kind, kind, String((err as { errno?: number }).errno));
      assert.ok(!mapped.reason.includes('server text'));
    }
  });

  it('round-trips the intent comment and ignores comments that are not crefgate intent', () => {
    const intent = { jobId: 'job_1', tenant: 't', jobExpiresAt: 2_000, createdAt: 1_000, role: 'readonly' };
    assert.deepEqual(parseIntent(intentText(intent)), intent);
    for (const text of [null, undefined, '', 'hello', '{"crefgate":2,"job":"j","job_end":1,"created":1}', '{"crefgate":1,"job":7}']) {
      assert.equal(parseIntent(text), undefined, String(text));
    }
  });

  it('builds URIs with every part encoded, and SCRAM verifiers in PostgreSQL format', async () => {
    assert.equal(connectionUri('postgresql://', 'u', 'p@ss/w:rd', '::1', 5432, 'db'), 'postgresql://u:p%40ss%2Fw%3Ard@[::1]:5432/db');
    const verifier = await scramVerifier('secret-password');
    assert.match(verifier, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    assert.notEqual(verifier, await scramVerifier('secret-password'), 'fresh salt each time');
  });
});
