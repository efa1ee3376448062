import { describe, expect, it } from 'vitest';
import { encodeChunk } from './chunked.js';

describe('encodeChunk', () => {
  it('frames bytes as one chunk: size in hex, CRLF, bytes, CRLF', () => {
    expect(encodeChunk(Buffer.from('data: hi\n\n')).toString('latin1')).toBe(
      'a\r\ndata: hi\n\n\r\n',
    );
  });

  it('writes sizes of several hex digits in lower case', () => {
    const bytes = Buffer.alloc(0x1abc, 0x61);
    const out = encodeChunk(bytes).toString('latin1');
    expect(out.startsWith('1abc\r\naaa')).toBe(true);
    expect(out.endsWith('aaa\r\n')).toBe(true);
    expect(out.length).toBe(4 + 2 + 0x1abc + 2);
  });

  it('copies non-ASCII bytes unchanged', () => {
    const bytes = Buffer.from('data: é\n\n', 'utf8');
    const out = encodeChunk(bytes);
    expect(out.subarray(3, 3 + bytes.length).equals(bytes)).toBe(true);
  });
});
