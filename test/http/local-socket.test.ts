// openStream over a local socket (the resident model's transport): node:http instead of got, with
// the same contract — the body as it arrives, got-shaped timeout errors per phase, an abort that
// ends the body at once, socket errors with their codes — and no proxy in the way. Also: the
// OpenAI backend given the server software and a model sends no GET /v1/models first.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOpenAIBackend } from '../../lib/backends/openai';
import { linesOf, openStream, readText, type StreamRequest } from '../../lib/http/transport';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let dir: string;
let socket: string;
let server: http.Server;
let seen: Seen[];
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;

const timeouts = { connectMs: 2_000, responseMs: 2_000, idleMs: 2_000 };

function local(route: string, extra: Partial<StreamRequest> = {}): StreamRequest {
  return { url: `http://127.0.0.1${route}`, socketPath: socket, timeouts, ...extra };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-local-socket-'));
  socket = path.join(dir, 's.sock');
  seen = [];
  handler = (_req, res) => res.end('ok');
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a JSON POST reaches the socket with its path, query and headers, and the body streams back line by line', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-extra': 'yes' });
    res.write('data: one\n\n');
    setTimeout(() => res.end('data: two\n\n'), 20);
  };
  const response = await openStream(local('/v1/chat/completions?x=1', { method: 'POST', json: { hello: 'wörld' }, headers: { authorization: 'Bearer k' } }));
  expect(response.status).toBe(200);
  expect(response.headers['x-extra']).toBe('yes');
  const lines: string[] = [];
  for await (const line of linesOf(response.body)) if (line) lines.push(line);
  expect(lines).toEqual(['data: one', 'data: two']);
  expect(seen).toHaveLength(1);
  expect(seen[0].method).toBe('POST');
  expect(seen[0].url).toBe('/v1/chat/completions?x=1');
  expect(seen[0].headers['content-type']).toBe('application/json');
  expect(seen[0].headers.authorization).toBe('Bearer k');
  expect(JSON.parse(seen[0].body)).toEqual({ hello: 'wörld' });
});

test('error statuses are returned, not thrown (callers read them)', async () => {
  handler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"status":"loading"}');
  };
  const response = await openStream(local('/health'));
  expect(response.status).toBe(503);
  expect(await readText(response.body, 1024)).toBe('{"status":"loading"}');
});

test('a proxy in the environment does not apply to the socket', async () => {
  const saved = process.env.HTTP_PROXY;
  process.env.HTTP_PROXY = 'http://127.0.0.1:9';
  try {
    const response = await openStream(local('/health'));
    expect(await readText(response.body, 1024)).toBe('ok');
  } finally {
    if (saved === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = saved;
  }
});

test('a server that never answers fails with a response timeout', async () => {
  handler = () => undefined;
  await expect(openStream(local('/slow', { timeouts: { ...timeouts, responseMs: 150 } }))).rejects.toMatchObject({ name: 'TimeoutError', event: 'response' });
});

test('silence in the middle of the body fails the reader with a socket timeout', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
  };
  const response = await openStream(local('/stream', { timeouts: { ...timeouts, idleMs: 150 } }));
  const lines: string[] = [];
  const reading = (async () => {
    for await (const line of linesOf(response.body)) if (line) lines.push(line);
  })();
  await expect(reading).rejects.toMatchObject({ name: 'TimeoutError', event: 'socket' });
  expect(lines).toEqual(['data: one']);
});

test('an abort while the body streams ends the reader at once and closes the connection', async () => {
  let closed = false;
  handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
    res.on('close', () => (closed = true));
  };
  const controller = new AbortController();
  const response = await openStream(local('/stream', { signal: controller.signal }));
  const reading = (async () => {
    for await (const line of linesOf(response.body)) if (line) controller.abort();
  })();
  await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  for (let i = 0; i < 50 && !closed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(closed).toBe(true);
});

test('an abort before the answer rejects with an AbortError; an aborted signal sends nothing', async () => {
  handler = () => undefined;
  const controller = new AbortController();
  const pending = openStream(local('/slow', { signal: controller.signal }));
  setTimeout(() => controller.abort(), 50);
  await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

  const before = seen.length;
  await expect(openStream(local('/x', { signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: 'AbortError' });
  expect(seen.length).toBe(before);
});

test('nobody at the path (ENOENT) or nobody listening (ECONNREFUSED) fail with the socket error code', async () => {
  await expect(openStream({ ...local('/health'), socketPath: path.join(dir, 'missing.sock') })).rejects.toMatchObject({ code: 'ENOENT' });
  const stale = path.join(dir, 'stale.sock');
  const other = http.createServer();
  await new Promise<void>((resolve) => other.listen(stale, resolve));
  // Closing a server removes its socket file; a hard link keeps a socket file nobody listens on.
  fs.linkSync(stale, `${stale}.kept`);
  await new Promise<void>((resolve) => other.close(() => resolve()));
  await expect(openStream({ ...local('/health'), socketPath: `${stale}.kept` })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

test('the OpenAI backend over the socket, told the server software and the model, asks only for the completion', async () => {
  handler = (req, res) => {
    if (req.url === '/v1/chat/completions' && !JSON.parse(seen[seen.length - 1].body).stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: '{"command":"ls","explanation":"x"}' }, finish_reason: 'stop' }] }));
      return;
    }
    if (req.url === '/v1/chat/completions') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: '{"command":"ls"' } }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: ',"explanation":"x"}' }, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list","data":[{"id":"m","owned_by":"cmdai"}]}');
  };
  const pieces: string[] = [];
  const backend = createOpenAIBackend({ endpoint: 'http://127.0.0.1/v1', model: 'm', serverKind: 'generic', software: 'cmdai', socketPath: socket, retries: 0 });
  const result = await backend.generate({ messages: [{ role: 'user', content: 'list files' }], onToken: (piece) => pieces.push(piece) });
  expect(result.text).toBe('{"command":"ls","explanation":"x"}');
  expect(pieces.join('')).toBe(result.text);
  expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v1/chat/completions']);

  // Without the software named, the listing is asked for first (how other servers are told apart).
  seen = [];
  await createOpenAIBackend({ endpoint: 'http://127.0.0.1/v1', model: 'm', serverKind: 'generic', socketPath: socket, retries: 0 }).generate({ messages: [{ role: 'user', content: 'x' }] });
  expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/models', 'POST /v1/chat/completions']);
});
