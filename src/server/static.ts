/**
 * The hub's own pages and their assets, read once from `web/` at start and
 * served from memory with a strong ETag. Only files listed here are served:
 * no path from a request ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where the browser files live, relative to this module (src/ or dist/). */
export const WEB_ROOT = new URL('../../web/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** A set of files served under fixed URL paths. */
export class StaticFiles {
  readonly #assets = new Map<string, Asset>();

  /** Maps each URL path to a file under {@link WEB_ROOT}; reads them all now. */
  constructor(files: Readonly<Record<string, string>>) {
    for (const [path, file] of Object.entries(files)) {
      const body = readFileSync(new URL(file, WEB_ROOT));
      const ext = file.slice(file.lastIndexOf('.'));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.#assets.set(path, { body, type: TYPES[ext] ?? 'application/octet-stream', etag });
    }
  }

  /** Serves `path` if it is one of the files; returns false otherwise. */
  serve(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const asset = this.#assets.get(path);
    if (asset === undefined) return false;
    const headers = {
      'Content-Type': asset.type,
      ETag: asset.etag,
      'Cache-Control': 'no-cache',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': String(asset.body.length) });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    }
    return true;
  }
}
