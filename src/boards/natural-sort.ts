/**
 * Natural order of tile names: runs of digits compare as numbers, so
 * `CNC 2` comes before `CNC 10` (the original board sorted as strings and put
 * CNC 10 first). Pure and locale-free, so the server's render and the
 * browser's updates put tiles in the same order.
 */

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The end of the run of digits starting at `from`. */
function digitsEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  return end;
}

/** The first index of the run `[from, end)` that is not a leading zero (keeps the last digit). */
function skipZeros(text: string, from: number, end: number): number {
  let start = from;
  while (start < end - 1 && text.charCodeAt(start) === 48) start++;
  return start;
}

/**
 * Compares two numbers written in decimal, of any length, without
 * converting them (a 30-digit serial number must not lose precision).
 */
function compareDigits(
  a: string,
  aFrom: number,
  aEnd: number,
  b: string,
  bFrom: number,
  bEnd: number,
): number {
  const as = skipZeros(a, aFrom, aEnd);
  const bs = skipZeros(b, bFrom, bEnd);
  if (aEnd - as !== bEnd - bs) return aEnd - as < bEnd - bs ? -1 : 1;
  for (let i = 0; i < aEnd - as; i++) {
    const d = a.charCodeAt(as + i) - b.charCodeAt(bs + i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Natural comparison: digit runs by numeric value, other characters
 * case-insensitively by code point; ties (`CNC 02` and `CNC 2`, `a` and `A`)
 * are broken by plain code-point order, so the order is total and stable.
 */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      const ae = digitsEnd(a, i);
      const be = digitsEnd(b, j);
      const byNumber = compareDigits(a, i, ae, b, j, be);
      if (byNumber !== 0) return byNumber;
      i = ae;
      j = be;
      continue;
    }
    const la = a[i]!.toLowerCase();
    const lb = b[j]!.toLowerCase();
    if (la !== lb) return la < lb ? -1 : 1;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest < 0 ? -1 : 1;
  return textCompare(a, b);
}

/** Plain code-point order (the board's `order: text`). */
export function textCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
