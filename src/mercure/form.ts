/**
 * A strict `application/x-www-form-urlencoded` parser. Unlike
 * `URLSearchParams`, which turns invalid UTF-8 into U+FFFD without a word, it
 * refuses a body whose bytes or percent-escapes are not valid UTF-8, and a
 * malformed escape, saying where.
 */
import { AndonError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Decodes one name or value: `+` is a space, `%XX` a byte; the bytes must be UTF-8. */
function decodeComponent(bytes: Buffer, start: number, end: number, what: string): string {
  const out = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      out[length++] = 0x20;
    } else if (byte === 0x25) {
      const high = i + 2 < end ? hexValue(bytes[i + 1]!) : -1;
      const low = i + 2 < end ? hexValue(bytes[i + 2]!) : -1;
      if (high < 0 || low < 0) {
        throw new AndonError(
          'ANDON_INVALID_UPDATE',
          `The form has a malformed percent-escape in ${what}: "%" must be followed by two hex digits.`,
        );
      }
      out[length++] = high * 16 + low;
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  try {
    return utf8.decode(out.subarray(0, length));
  } catch {
    throw new AndonError('ANDON_INVALID_UPDATE', `The form's ${what} is not valid UTF-8.`);
  }
}

/** Parses a form body into its name-value pairs, in order. */
export function parseForm(body: Buffer): [string, string][] {
  const pairs: [string, string][] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(0x26, start);
    if (end === -1) end = body.length;
    if (end > start) {
      let equals = body.indexOf(0x3d, start);
      if (equals === -1 || equals > end) equals = end;
      const name = decodeComponent(body, start, equals, 'field name');
      const value = equals < end ? decodeComponent(body, equals + 1, end, `"${name}" value`) : '';
      pairs.push([name, value]);
    }
    start = end + 1;
  }
  return pairs;
}
