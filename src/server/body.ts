/**
 * Reading a request body with a hard size limit: the limit is checked against
 * `Content-Length` before anything is read, and against the bytes as they
 * arrive, so an oversized body is refused without being buffered.
 */
import type { IncomingMessage } from 'node:http';
import { AndonError } from '../errors.js';

/** Reads the whole body of `req`, refusing it with `ANDON_BODY_TOO_LARGE` past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new AndonError(
      'ANDON_BODY_TOO_LARGE',
      `The request body is larger than this hub accepts (${limit} bytes); send a smaller update or raise --max-body.`,
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading; the answer goes out and the connection closes.
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** True when the request's media type (before any parameter) is `type`. */
export function hasMediaType(req: IncomingMessage, type: string): boolean {
  const header = req.headers['content-type'];
  if (header === undefined) return false;
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase() === type;
}
