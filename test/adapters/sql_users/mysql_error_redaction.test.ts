/**
 * A MariaDB/MySQL syntax error (1064) quotes the statement text from the error point on, and mysql2 inlines
 * bound values client-side, so the new user's password is in the server's message. The error middleware logs
 * an AdapterError's cause chain (describeError), so the mapped error must not carry that message.
 */
import assert from 'node:assert/strict';
import { AdapterError } from '../../../adapters/contract.ts';
import { mapMysqlError } from '../../../adapters/mysql/map_error.ts';
import { describeError } from '../../../src/log.ts';

const PASSWORD = 'Zq9fT2mWk4LpR7xV1cN8bH3s';

/** The shape mysql2 gave for `CREAT USER 'x'@'%' IDENTIFIED BY ?` against MariaDB on this machine. */
function parseError(): Error {
  const sql = `CREAT USER 'cg_t_j_abc'@'%' IDENTIFIED BY '${PASSWORD}'`;
  const message = `You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${sql}' at line 1`;
  return Object.assign(new Error(message), { errno: 1064, sqlState: '42000', code: 'ER_PARSE_ERROR', sqlMessage: message, sql });
}

describe('mysql errors: no statement text (and so no password) in what is logged', () => {
  it('drops the server message of a syntax error from the logged cause chain, keeping the code', () => {
    const mapped = mapMysqlError(parseError(), 'issue');
    assert.ok(mapped instanceof AdapterError);
    assert.equal(mapped.kind, 'invalid_reference');
    const logged = JSON.stringify(describeError(mapped, true));
    assert.ok(!logged.includes(PASSWORD), `password in the logged error: ${logged}`);
    assert.ok(!logged.includes('IDENTIFIED BY'), 'statement text in the logged error');
    assert.match(logged, /1064/);
  });
});
