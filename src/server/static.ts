/**
 * The hub's own pages and their assets, read once from `web/` at start and
 * served from memory with a strong ETag. Only files listed here are served:
 * no path from a request ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The package root: this module sits two levels below it, in src/server or dist/server. */
export const PACKAGE_ROOT = new URL('../../', import.meta.url);
/** Where the hand-written browser files live. */
export const WEB_ROOT = new URL('web/', PACKAGE_ROOT);
/** Where the browser code compiled from src/client (and the board model) lands. */
export const COMPILED_WEB_ROOT = new URL('dist/web/', PACKAGE_ROOT);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
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
    for (const [path, file] of Object.entries(files)) this.#add(path, new URL(file, WEB_ROOT));
  }

  /**
   * Adds every `.js`, `.js.map` and `.css` file below `dir` (read now), under
   * `prefix` + its relative path. A missing directory adds nothing.
   */
  addDirectory(dir: URL, prefix: string): this {
    let names: string[];
    try {
      names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    } catch {
      return this;
    }
    for (const name of names) {
      const file = new URL(name, dir);
      if (!/\.(js|js\.map|css)$/.test(name) || !statSync(file).isFile()) continue;
      this.#add(`${prefix}${name.split('\\').join('/')}`, file);
    }
    return this;
  }

  #add(path: string, file: URL): void {
    const body = readFileSync(file);
    const name = file.pathname;
    const ext = name.slice(name.lastIndexOf('.'));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    this.#assets.set(path, { body, type: TYPES[ext] ?? 'application/octet-stream', etag });
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
