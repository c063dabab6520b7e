// A stand-in for the Hugging Face hub on 127.0.0.1, built on node's http module: it serves
// fixture files under /{repo}/resolve/{revision}/{path} with Range support, and can be told to
// misbehave (cut a response, stall, ignore Range, answer an error status, require a token).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Step =
  | { kind: 'normal' }
  | { kind: 'status'; status: number }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'ignore-range' };

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  /** Body bytes this server wrote in its answer. */
  bytesSent: number;
}

export interface HubFile {
  content: Buffer;
  /** LFS files are answered with a redirect carrying X-Linked-Etag, as the hub does. */
  lfs?: boolean;
  /** Override what the hub claims as the file's hash (to simulate a wrong hub hash). */
  claimedSha256?: string;
  /** Send no hash header at all (a plain mirror). */
  noHashHeaders?: boolean;
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  readonly files = new Map<string, HubFile>();
  /** What to do for the next content requests, in order; then 'normal'. */
  plan: Step[] = [];
  /** When set, requests without `Bearer <token>` get 401 and with another token 403. */
  requiredToken?: string;
  /** Where LFS redirects point (another server plays the CDN); this server by default. */
  cdnUrl?: string;
  /** Bytes per write and pause between writes, to make a download slow on purpose. */
  throttle?: { chunkBytes: number; delayMs: number };
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  addFile(repo: string, revision: string, path: string, file: HubFile): void {
    this.files.set(`/${repo}/resolve/${revision}/${path}`, file);
  }

  contentRequests(): RecordedRequest[] {
    return this.requests.filter((request) => !request.path.includes('/resolve/') || !this.isLfs(request.path));
  }

  private isLfs(path: string): boolean {
    return this.files.get(path)?.lfs === true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
      bytesSent: 0,
    };
    this.requests.push(record);

    if (path.startsWith('/cdn/')) {
      const file = this.files.get(path.slice('/cdn'.length));
      if (!file) return void res.writeHead(404).end();
      return this.serveContent(req, res, file, record, {});
    }
    const file = this.files.get(path);
    if (this.requiredToken !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      if (auth !== `Bearer ${this.requiredToken}`) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden');
    }
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
    const sha256 = file.claimedSha256 ?? createHash('sha256').update(file.content).digest('hex');
    if (file.lfs) {
      // The hub answers LFS files with a redirect to its CDN, naming the LFS sha256.
      res.writeHead(302, {
        location: `${this.cdnUrl ?? ''}/cdn${path}`,
        'x-linked-etag': `"${sha256}"`,
        'x-linked-size': String(file.content.length),
        'x-repo-commit': path.split('/')[4] ?? '',
        etag: `"${sha256}"`,
      });
      return void res.end();
    }
    const headers: Record<string, string> = {};
    if (!file.noHashHeaders) {
      headers.etag = `"${gitBlobSha1(file.content)}"`;
      headers['x-repo-commit'] = path.split('/')[4] ?? '';
    }
    this.serveContent(req, res, file, record, headers);
  }

  private serveContent(req: IncomingMessage, res: ServerResponse, file: HubFile, record: RecordedRequest, extra: Record<string, string>): void {
    const step = this.plan.shift() ?? { kind: 'normal' };
    if (step.kind === 'status') return void res.writeHead(step.status, { 'content-type': 'text/plain' }).end(`status ${step.status}`);
    const size = file.content.length;
    let start = 0;
    const range = step.kind === 'ignore-range' ? undefined : req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range) {
      start = Number(range[1]);
      if (start >= size) {
        return void res.writeHead(416, { 'content-range': `bytes */${size}`, ...extra }).end();
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${size - 1}/${size}`, 'content-length': String(size - start), 'accept-ranges': 'bytes', ...extra });
    } else {
      res.writeHead(200, { 'content-length': String(size), 'accept-ranges': 'bytes', ...extra });
    }
    const body = file.content.subarray(start);
    const limit = step.kind === 'cut' || step.kind === 'stall' ? Math.min(step.afterBytes, body.length) : body.length;
    this.writeBody(res, body.subarray(0, limit), record, () => {
      if (step.kind === 'cut') res.socket?.destroy();
      else if (step.kind === 'stall') return; // Keep the connection open and silent.
      else res.end();
    });
  }

  private writeBody(res: ServerResponse, body: Buffer, record: RecordedRequest, done: () => void): void {
    if (!this.throttle) {
      res.write(body, () => {
        record.bytesSent += body.length;
        done();
      });
      return;
    }
    const { chunkBytes, delayMs } = this.throttle;
    let offset = 0;
    const next = () => {
      if (res.destroyed) return;
      if (offset >= body.length) return done();
      const chunk = body.subarray(offset, offset + chunkBytes);
      offset += chunk.length;
      res.write(chunk, () => {
        record.bytesSent += chunk.length;
        setTimeout(next, delayMs);
      });
    };
    next();
  }
}

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A few MB of random bytes standing in for a model file. */
export function fixtureContent(bytes = 3 * 1024 * 1024): Buffer {
  return randomBytes(bytes);
}
