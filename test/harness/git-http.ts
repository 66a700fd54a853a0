/**
 * A git smart-HTTP server on loopback for tests and benchmarks: a small
 * node http server running `git http-backend` (CGI) for the repositories
 * under a directory, counting what it serves. The counts show whether a
 * clone or fetch really downloaded a repository: `packBytes` is what
 * upload-pack sent back (packfiles and ref advertisements), `uploadPacks`
 * the upload-pack POSTs (negotiations and fetches). `bytesPerSecond` paces
 * what it sends, to stand for a link slower than loopback (the benchmark).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>/` (append the repository's path under the root). */
  baseUrl: string;
  counts: { requests: number; uploadPacks: number; packBytes: number };
  close(): Promise<void>;
}

const BACKEND = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

/** What `serveGitBackend` does besides running the backend. */
export interface BackendOptions {
  /** The repositories' directory. */
  root: string;
  /** Set for an authorized push: what lets http-backend run receive-pack. */
  remoteUser?: string | null;
  /** Each chunk the backend writes (headers included), with its output stream: may pause it (a slower link). */
  onChunk?: (bytes: number, stdout: Readable) => void;
  /** Bytes of the answer's body as they are sent. */
  onBody?: (bytes: number) => void;
}

/**
 * Answers one request with `git http-backend` (CGI): the request goes to its
 * standard input, its answer's headers (`Status:` among them) become the
 * response's, and the rest is streamed as the body.
 */
export function serveGitBackend(req: IncomingMessage, res: ServerResponse, url: URL, options: BackendOptions): void {
  const child = spawn(BACKEND, [], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(options.remoteUser ? { REMOTE_USER: options.remoteUser } : {}),
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headerDone = false;
  const body = (chunk: Buffer) => {
    options.onBody?.(chunk.length);
    res.write(chunk);
  };
  child.stdout.on('data', (chunk: Buffer) => {
    options.onChunk?.(chunk.length, child.stdout);
    if (headerDone) return body(chunk);
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sep = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sep = 2;
    }
    if (end < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    body(head.subarray(end + sep));
  });
  child.stdout.on('end', () => res.end());
  child.on('error', () => {
    res.statusCode = 500;
    res.end();
  });
}

export async function startGitHttp(root: string, options: { bytesPerSecond?: number } = {}): Promise<GitHttpServer> {
  const rate = options.bytesPerSecond ?? 0;
  const counts = { requests: 0, uploadPacks: 0, packBytes: 0 };
  const server: Server = createServer((req, res) => {
    counts.requests += 1;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isUploadPack = req.method === 'POST' && url.pathname.endsWith('/git-upload-pack');
    if (isUploadPack) counts.uploadPacks += 1;
    const startedAt = performance.now();
    let sent = 0;
    serveGitBackend(req, res, url, {
      root,
      // Holds the backend's output back until the paced link would have carried what was sent.
      onChunk: (n, stdout) => {
        if (rate <= 0) return;
        sent += n;
        const dueMs = (sent / rate) * 1000 - (performance.now() - startedAt);
        if (dueMs > 5) {
          stdout.pause();
          setTimeout(() => stdout.resume(), dueMs);
        }
      },
      onBody: (n) => {
        if (isUploadPack) counts.packBytes += n;
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    counts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
