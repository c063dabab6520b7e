// The resident model: one process that keeps one model (and the system prompt's KV state)
// loaded and answers the OpenAI-compatible chat API over a Unix socket, so every cmdai after
// the first skips the load and the prompt. Design and fault handling: specs/resident.md.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { EmbeddedBackend } from '../backends/embedded';
import type { ChatMessage, CompleteOptions } from '../engine/types';
import type { GenerateResult } from '../backends/types';
import { isAbortError } from '../errors';
import { checkSocketFile, prepareSocketDir, type ServerLocation } from './socket-dir';
import { EngineOptions, memoryUsage, modelIdentity, PROTOCOL_VERSION, type RequestFigures, ServerStatus, STATUS_PATH, STOP_PATH } from './protocol';

export interface ResidentServerOptions {
  location: ServerLocation;
  modelPath: string;
  /** Name shown in answers (catalog name or file name). */
  modelLabel?: string;
  engine?: EngineOptions;
  /** Idle time before exiting; 0 never exits on its own (foreground `cmdai serve`). */
  keepAliveMs: number;
  /** Also listen on this loopback TCP port (`cmdai serve --port`). */
  port?: number;
  host?: string;
  promptCacheDir?: string;
  /** One line per event (stderr, or the log file in the background). */
  log?: (line: string) => void;
  /** Builds the in-process engine; the default loads the model with llama.cpp. */
  createBackend?: (modelPath: string) => EmbeddedBackend;
}

export interface ResidentServer {
  status(): ServerStatus;
  /** Resolves when the server has stopped (idle, asked to stop, or replaced). */
  readonly stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 1000;
const ROLES = new Set(['system', 'user', 'assistant']);

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** Binds the socket (failing fast when another live server holds it), then loads the model. */
export async function startResidentServer(options: ResidentServerOptions): Promise<ResidentServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the engine loads only in the server process
  const version = (require('../../package.json') as { version: string }).version;
  const identity = modelIdentity(options.modelPath);
  const label = options.modelLabel ?? path.basename(options.modelPath);
  const startedAt = Date.now();
  let state: ServerStatus['state'] = 'loading';
  let loadError: string | undefined;
  let loadProgress = 0;
  let lastActivity = Date.now();
  let active = 0;
  let queued = 0;
  let served = 0;
  let lastRequest: RequestFigures | undefined;
  let turn: Promise<unknown> = Promise.resolve();

  const refusal = prepareSocketDir(options.location);
  if (refusal) throw new Error(`${refusal.reason}. ${refusal.hint}`);

  const backend = (options.createBackend ?? defaultBackend(options, (fraction) => (loadProgress = fraction), log))(options.modelPath);
  const listening: string[] = [];
  const servers: http.Server[] = [];
  let socketInode: number | undefined;
  let stopping: Promise<void> | undefined;
  let markStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));

  const status = (): ServerStatus => ({
    protocol: PROTOCOL_VERSION,
    version,
    pid: process.pid,
    state,
    error: loadError,
    loadProgress,
    model: { path: options.modelPath, identity, label },
    engine: options.engine ?? {},
    keepAliveMs: options.keepAliveMs,
    startedAt,
    idleMs: active + queued > 0 ? 0 : Date.now() - lastActivity,
    active,
    queued,
    served,
    memory: memoryUsage(),
    lastRequest,
    listening,
  });

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      const failure = err instanceof RequestError ? err : new RequestError(500, (err as Error)?.message ?? String(err), 'server_error');
      if (!res.headersSent) sendJson(res, failure.status, { error: { message: failure.message, type: failure.type } });
      else res.end();
    });
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [url, query = ''] = (req.url ?? '/').split('?');
    if (req.method === 'GET' && url === STATUS_PATH) {
      // A client about to send a request holds the server: idle exit must not land in between.
      if (query.split('&').includes('hold=1') && state !== 'stopping') lastActivity = Date.now();
      return sendJson(res, 200, status());
    }
    if (req.method === 'GET' && url === '/health') {
      return sendJson(res, state === 'ready' ? 200 : 503, { status: state === 'ready' ? 'ok' : state });
    }
    if (req.method === 'GET' && url === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: label, object: 'model', owned_by: 'cmdai', created: Math.floor(startedAt / 1000) }] });
    }
    if (req.method === 'POST' && url === STOP_PATH) {
      sendJson(res, 200, { stopping: true, pid: process.pid });
      void stop('asked to stop');
      return;
    }
    if (req.method === 'POST' && url === '/v1/chat/completions') return chat(req, res);
    throw new RequestError(404, `No ${req.method} ${url} here; this is a cmdai server (POST /v1/chat/completions).`, 'not_found_error');
  }

  async function chat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = parseChatBody(await readBody(req));
    if (body.model !== undefined && body.model !== label && body.model !== identity && body.model !== options.modelPath) {
      throw new RequestError(404, `This cmdai server runs ${label}, not ${body.model}.`, 'model_not_found');
    }
    if (state === 'stopping') throw new RequestError(503, 'The server is stopping.', 'server_unavailable');
    if (state === 'failed') throw new RequestError(503, `The model failed to load: ${loadError}`, 'server_unavailable');

    // A client that goes away (it has what it needs, or it was killed) ends its generation.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const streaming = body.stream;
    const send = (text: string) => {
      if (!res.destroyed && !res.writableEnded) res.write(text);
    };
    const id = `chatcmpl-${process.pid}-${served + active + queued}`;
    let heartbeat: NodeJS.Timeout | undefined;
    if (streaming) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-cmdai-version': version });
      // Comments keep the client's silence timeout from firing while this request waits its turn.
      heartbeat = setInterval(() => send(': waiting\n\n'), HEARTBEAT_MS);
    }
    queued++;
    lastActivity = Date.now();
    const run = turn.then(async () => {
      queued--;
      if (abort.signal.aborted) return undefined;
      active++;
      try {
        const result = await backend.generate({
          messages: body.messages,
          jsonSchema: body.jsonSchema,
          maxTokens: body.maxTokens,
          temperature: body.temperature,
          topK: body.topK,
          topP: body.topP,
          minP: body.minP,
          seed: body.seed,
          stop: body.stop,
          signal: abort.signal,
          onToken: streaming ? (piece) => send(`data: ${JSON.stringify(chunk(id, label, { content: piece }, null))}\n\n`) : undefined,
        });
        const t = result.timings;
        lastRequest = { promptTokens: t.promptTokens, cachedTokens: t.cachedTokens, promptMs: t.promptMs, generatedTokens: t.generatedTokens, generationMs: t.generationMs, stopReason: result.stopReason };
        return result;
      } finally {
        active--;
        served++;
        lastActivity = Date.now();
      }
    });
    turn = run.catch(() => undefined);
    let result: GenerateResult | undefined;
    try {
      result = await run;
    } catch (err) {
      if (abort.signal.aborted || isAbortError(err)) return;
      log(`request failed: ${(err as Error).message}`);
      if (!streaming) throw new RequestError(500, (err as Error).message, 'server_error');
      res.end(`data: ${JSON.stringify({ error: { message: (err as Error).message, type: 'server_error' } })}\n\n`);
      return;
    } finally {
      clearInterval(heartbeat);
    }
    if (!result || abort.signal.aborted) return;
    const finish = result.stopReason === 'length' ? 'length' : 'stop';
    const usage = {
      prompt_tokens: result.timings.promptTokens ?? 0,
      completion_tokens: result.timings.generatedTokens ?? 0,
      total_tokens: (result.timings.promptTokens ?? 0) + (result.timings.generatedTokens ?? 0),
      prompt_tokens_details: { cached_tokens: result.timings.cachedTokens ?? 0 },
    };
    const timings = {
      prompt_n: result.timings.promptTokens,
      prompt_ms: result.timings.promptMs,
      cache_n: result.timings.cachedTokens,
      predicted_n: result.timings.generatedTokens,
      predicted_ms: result.timings.generationMs,
    };
    if (streaming) {
      res.write(`data: ${JSON.stringify({ ...chunk(id, label, {}, finish), usage, timings })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: label,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: finish }],
      usage,
      timings,
    });
  }

  async function listenOnSocket(): Promise<void> {
    const server = http.createServer(handler);
    const socket = options.location.socket;
    // The directory (0700) keeps other users out; the kernel's record of who connected is the
    // second lock, for a directory whose mode was loosened after the server started.
    server.on('connection', (connection: net.Socket) => {
      const refusal = foreignPeer(connection);
      if (refusal) {
        log(refusal);
        connection.destroy();
      }
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await listen(server, socket);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 0) throw err;
        // Someone's socket file: live (another server won the race) or stale (left by a crash).
        if (await isLive(socket)) throw new Error(`another cmdai server is already listening on ${socket}`);
        const file = checkSocketFile(socket);
        if (file.refusal) throw new Error(`${file.refusal.reason}. ${file.refusal.hint}`);
        fs.rmSync(socket, { force: true });
      }
    }
    if (process.platform !== 'win32') {
      fs.chmodSync(socket, 0o600);
      socketInode = fs.statSync(socket).ino;
    }
    servers.push(server);
    listening.push(socket);
  }

  async function listenOnPort(port: number): Promise<void> {
    const server = http.createServer(handler);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    servers.push(server);
    listening.push(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/v1`);
  }

  async function stop(reason: string): Promise<void> {
    if (stopping) return stopping;
    state = 'stopping';
    log(`stopping: ${reason}`);
    stopping = (async () => {
      clearInterval(idleTimer);
      // Answers already under way are finished; new requests are refused meanwhile.
      await turn;
      for (const server of servers) server.close();
      if (socketInode !== undefined && checkSocketFile(options.location.socket).inode === socketInode) {
        fs.rmSync(options.location.socket, { force: true });
      }
      await backend.dispose();
      log('stopped');
      markStopped();
    })();
    return stopping;
  }

  // Idle exit, and exit when the socket file was removed or taken over by another server.
  const idleTimer = setInterval(() => {
    if (state === 'stopping') return;
    if (socketInode !== undefined && checkSocketFile(options.location.socket).inode !== socketInode) {
      void stop('the socket file was removed or replaced');
    } else if (options.keepAliveMs > 0 && active + queued === 0 && Date.now() - lastActivity >= options.keepAliveMs) {
      void stop(`idle for ${Math.round((Date.now() - lastActivity) / 1000)} s`);
    }
  }, Math.max(50, Math.min(1000, options.keepAliveMs / 4 || 1000)));

  try {
    await listenOnSocket();
    if (options.port !== undefined) await listenOnPort(options.port);
  } catch (err) {
    clearInterval(idleTimer);
    for (const server of servers) server.close();
    await backend.dispose();
    throw err;
  }
  log(`cmdai ${version} server (pid ${process.pid}) listening on ${listening.join(' and ')}; loading ${options.modelPath}`);

  backend.load().then(
    (ms) => {
      if (state !== 'loading') return;
      state = 'ready';
      lastActivity = Date.now();
      log(`model loaded in ${Math.round(ms)} ms; idle exit ${options.keepAliveMs > 0 ? `after ${options.keepAliveMs} ms` : 'off'}`);
    },
    (err: Error) => {
      state = 'failed';
      loadError = err.message;
      log(`the model failed to load: ${err.message}`);
      // Long enough for waiting clients to read why, then gone.
      setTimeout(() => void stop('the model failed to load'), 2000).unref();
    },
  );

  return { status, stopped, stop };
}

function defaultBackend(options: ResidentServerOptions, onProgress: (fraction: number) => void, log: (line: string) => void): (modelPath: string) => EmbeddedBackend {
  return (modelPath) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the engine loads only in the server process
    const { createEmbeddedBackend } = require('../backends/embedded') as typeof import('../backends/embedded');
    return createEmbeddedBackend({
      resolveModelPath: async () => modelPath,
      modelLabel: options.modelLabel,
      promptCacheDir: options.promptCacheDir,
      contextSize: options.engine?.contextSize,
      threads: options.engine?.threads,
      // A server lives long: repacked weights make every request's prompt faster (specs/resident.md).
      repackWeights: true,
      onLoadProgress: onProgress,
      onNotice: (message) => log(message),
    });
  };
}

/**
 * Why a connection on the Unix socket comes from another user, or undefined when it is this
 * user's (or the OS cannot tell: Windows' named pipe is guarded by its ACL instead).
 */
function foreignPeer(connection: net.Socket): string | undefined {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const fd = (connection as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the engine's addon is loaded in this process already
  const { loadBinding } = require('../engine/binding') as typeof import('../engine/binding');
  let uid: number | undefined;
  try {
    uid = loadBinding().peerUid(fd);
  } catch (err) {
    return `refused a connection whose peer could not be identified: ${(err as Error).message}`;
  }
  return uid === undefined || uid === process.getuid() ? undefined : `refused a connection from another user (uid ${uid})`;
}

function listen(server: http.Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(socket, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function isLive(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    const done = (live: boolean) => {
      connection.destroy();
      resolve(live);
    };
    connection.once('connect', () => done(true));
    connection.once('error', () => done(false));
    connection.setTimeout(1000, () => done(false));
  });
}

function chunk(id: string, model: string, delta: { content?: string }, finish: string | null) {
  return { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (data: Buffer) => {
      size += data.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, `The request body is over ${MAX_BODY_BYTES} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(data);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A chat request as the engine takes it: the sampling fields are CompleteOptions' own. */
type ChatBody = Pick<CompleteOptions, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'stop'> & {
  model?: string;
  messages: ChatMessage[];
  stream: boolean;
  jsonSchema?: object;
};

/** Checks the fields cmdai's engine uses; anything malformed is a 400 naming the field. */
function parseChatBody(text: string): ChatBody {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new RequestError(400, 'The request body is not valid JSON.');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RequestError(400, 'The request body must be a JSON object.');
  const messages = raw.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new RequestError(400, '"messages" must be a non-empty array.');
  for (const message of messages as Array<Record<string, unknown>>) {
    if (!message || typeof message.content !== 'string' || typeof message.role !== 'string' || !ROLES.has(message.role)) {
      throw new RequestError(400, 'Each message needs a role (system, user or assistant) and a string content.');
    }
  }
  const number = (name: string): number | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(400, `"${name}" must be a number.`);
    return value;
  };
  const format = raw.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  let jsonSchema: object | undefined;
  if (format !== undefined && format !== null) {
    if (format.type === 'json_schema') {
      const schema = format.json_schema?.schema;
      if (schema === null || typeof schema !== 'object') throw new RequestError(400, '"response_format.json_schema.schema" must be a JSON Schema object.');
      jsonSchema = schema;
    } else if (format.type !== 'text') {
      throw new RequestError(400, '"response_format.type" must be "json_schema" or "text".');
    }
  }
  const stop = raw.stop;
  if (stop !== undefined && stop !== null && !(typeof stop === 'string' || (Array.isArray(stop) && stop.every((s) => typeof s === 'string')))) {
    throw new RequestError(400, '"stop" must be a string or an array of strings.');
  }
  return {
    model: typeof raw.model === 'string' && raw.model !== '' ? raw.model : undefined,
    messages: (messages as ChatMessage[]).map(({ role, content }) => ({ role, content })),
    stream: raw.stream === true,
    jsonSchema,
    maxTokens: number('max_tokens') ?? number('max_completion_tokens'),
    temperature: number('temperature'),
    topK: number('top_k'),
    topP: number('top_p'),
    minP: number('min_p'),
    seed: number('seed'),
    stop: typeof stop === 'string' ? [stop] : (stop as string[] | undefined) ?? undefined,
  };
}
