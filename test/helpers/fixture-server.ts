// A real HTTP server on 127.0.0.1 for wire-format fixtures: records every request, plays
// queued faults (status codes, hangs, dropped connections, garbage bodies) before answering
// normally, and closes every socket on close() so no test leaves anything running.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** performance.now()-style milliseconds when the request arrived. */
  at: number;
}

export type Fault =
  /** Answer with this status, body and headers instead of the normal reply. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'malformed'; body?: string }
  /** Stream this many chunks of the normal reply, then cut the connection. */
  | { kind: 'die-after'; chunks: number }
  /** Stream this many chunks, then send the server's documented in-stream error. */
  | { kind: 'stream-error'; chunks: number; message: string }
  /** Stream this many chunks, then write `text` as it is and end the response. */
  | { kind: 'raw-after'; chunks: number; text: string };

export interface FixtureServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Plays `fault` on the next request whose path starts with `pathPrefix`. */
  queueFault(fault: Fault, pathPrefix: string): void;
  close(): Promise<void>;
}

export type RouteHandler = (
  request: RecordedRequest,
  res: http.ServerResponse,
  fault: Fault | undefined,
) => void | Promise<void>;

export async function startFixtureServer(route: RouteHandler): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const faults: Array<{ fault: Fault; pathPrefix: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // keep the raw text; the route decides what to do with it
      }
      const path = (req.url ?? '/').split('?')[0];
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, at: performance.now() };
      requests.push(recorded);
      const index = faults.findIndex((f) => path.startsWith(f.pathPrefix));
      const fault = index >= 0 ? faults.splice(index, 1)[0].fault : undefined;
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'status') {
        res.writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8', ...fault.headers });
        res.end(fault.body ?? '');
        return;
      }
      if (fault?.kind === 'malformed') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(fault.body ?? '<html><body>502 Bad Gateway from some proxy</body></html>');
        return;
      }
      Promise.resolve(route(recorded, res, fault)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    queueFault(fault, pathPrefix) {
      faults.push({ fault, pathPrefix });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `lines` one by one with a pause between them; honours die-after and stream-error faults. */
export async function writeStream(
  res: http.ServerResponse,
  lines: string[],
  options: { contentType: string; delayMs: number; fault?: Fault; errorLine?: (message: string) => string },
): Promise<void> {
  res.writeHead(200, { 'content-type': options.contentType, 'cache-control': 'no-cache' });
  for (let i = 0; i < lines.length; i++) {
    if (res.destroyed) return;
    if (options.fault?.kind === 'die-after' && i === options.fault.chunks) {
      res.socket?.destroy();
      return;
    }
    if (options.fault?.kind === 'stream-error' && i === options.fault.chunks) {
      res.end(options.errorLine?.(options.fault.message) ?? '');
      return;
    }
    if (options.fault?.kind === 'raw-after' && i === options.fault.chunks) {
      res.end(options.fault.text);
      return;
    }
    res.write(lines[i]);
    if (options.delayMs > 0) await pause(res, options.delayMs);
  }
  res.end();
}

/** Waits `ms`, or less if the client goes away (so no timer outlives the test). */
function pause(res: http.ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    res.once('close', done);
    function done(): void {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
  });
}

/** Splits a reply into small pieces the way a model streams tokens. */
export function pieces(text: string, size = 4): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
