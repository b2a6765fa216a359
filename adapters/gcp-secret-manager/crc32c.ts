/**
 * CRC-32C (Castagnoli), the checksum Secret Manager attaches to every payload as `data_crc32c`.
 *
 * Written by hand because no small, well-kept CRC32C package is installed, and `zlib.crc32` computes the
 * other CRC-32 (IEEE 802.3, polynomial 0x04C11DB7), which gives different values. Table-driven, one byte at a
 * time: secret payloads are at most 64 KiB, so slicing-by-8 would buy nothing worth its extra tables.
 */

/** Reflected form of the Castagnoli polynomial 0x1EDC6F41 (RFC 3720, appendix B.4). */
const CASTAGNOLI_REFLECTED = 0x82f63b78;

const table: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const entries = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REFLECTED : crc >>> 1;
    entries[byte] = crc >>> 0;
  }
  return entries;
}

/** CRC-32C of `data` as an unsigned 32-bit integer; CRC32C("123456789") is 0xE3069283. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
