/** Which ASCII characters RFC 6570 text may hold: shared by the parser and both engines. */

// Character classes, as bits of one ASCII table.
export const UNRESERVED = 1;
export const RESERVED = 2;
export const HEX = 4;
/** Hex digit opening a triplet that starts a UTF-8 character (bytes 00-7F, C0-FF). */
export const HEX_LEAD = 8;
/** Hex digit opening a UTF-8 continuation triplet (bytes 80-BF). */
export const HEX_CONT = 16;

export const CHARS = new Uint8Array(128);
function mark(chars: string, bit: number): void {
  for (const c of chars) CHARS[c.charCodeAt(0)] = (CHARS[c.charCodeAt(0)] ?? 0) | bit;
}
const DIGITS = '0123456789';
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
mark(`${ALPHA}${DIGITS}-._~`, UNRESERVED);
mark(":/?#[]@!$&'()*+,;=", RESERVED);
mark(`${DIGITS}ABCDEFabcdef`, HEX);
mark('01234567CDEFcdef', HEX_LEAD);
mark('89ABab', HEX_CONT);

/** True when `char` is ASCII and in one of the classes `allow`. */
export function admits(allow: number, char: string): boolean {
  const c = char.charCodeAt(0);
  return c < 128 && (CHARS[c]! & allow) !== 0;
}
