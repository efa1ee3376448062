/**
 * HTTP/1.1 chunked transfer coding (RFC 9112, section 7.1) of one body chunk:
 * its size in hex, CRLF, the bytes, CRLF. Node frames every `res.write` this
 * way, as three writes; a stream framing its chunk itself writes it as one
 * buffer, built once and shared by every subscriber receiving those bytes.
 */

const CRLF = 0x0d0a;

/** `bytes` framed as one chunk of a chunked body. `bytes` must not be empty (that is the last chunk). */
export function encodeChunk(bytes: Uint8Array): Buffer {
  const size = bytes.length.toString(16);
  const out = Buffer.allocUnsafe(size.length + 2 + bytes.length + 2);
  let offset = out.write(size, 0, 'latin1');
  offset = out.writeUInt16BE(CRLF, offset);
  out.set(bytes, offset);
  out.writeUInt16BE(CRLF, offset + bytes.length);
  return out;
}
