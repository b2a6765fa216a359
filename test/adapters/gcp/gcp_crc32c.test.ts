/**
 * CRC-32C against its published check value and the RFC 3720 (iSCSI) appendix B.4 vectors, and against
 * zlib's CRC-32 to show the two polynomials really differ.
 */
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { crc32c } from '../../../adapters/gcp-secret-manager/crc32c.ts';

const bytes = (values: number[]): Uint8Array => Uint8Array.from(values);
const range = (n: number, at: (i: number) => number): Uint8Array => bytes(Array.from({ length: n }, (_, i) => at(i)));

describe('crc32c (Castagnoli)', () => {
  it('gives the check value 0xE3069283 for "123456789"', () => {
    assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
  });

  it('is 0 for no data', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  it('matches the RFC 3720 B.4 vectors', () => {
    assert.equal(crc32c(range(32, () => 0x00)), 0x8a9136aa, '32 bytes of zeros');
    assert.equal(crc32c(range(32, () => 0xff)), 0x62a8ab43, '32 bytes of ones');
    assert.equal(crc32c(range(32, (i) => i)), 0x46dd794e, '32 incrementing bytes');
    assert.equal(crc32c(range(32, (i) => 31 - i)), 0x113fdb5c, '32 decrementing bytes');
    const iscsiReadPdu = bytes([
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    assert.equal(crc32c(iscsiReadPdu), 0xd9963a56, 'iSCSI read PDU');
  });

  it('is not zlib.crc32, which is the IEEE polynomial', () => {
    const data = Buffer.from('123456789', 'ascii');
    assert.equal(crc32(data), 0xcbf43926);
    assert.notEqual(crc32c(data), crc32(data));
  });
});
