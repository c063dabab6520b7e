// The client side of the resident model: an InferenceBackend that asks the background cmdai
// server (starting it when none runs) and answers in-process whenever the server cannot be
// trusted or fails — never hanging, never showing another request's answer.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from '../backends/types';
import type { CmdaiConfig } from '../config';
import { CmdaiError, isAbortError } from '../errors';
import { checkSocketFile, prepareSocketDir, serverLocation, type Refusal, type ServerLocation } from './socket-dir';
import { EngineOptions, formatDuration, modelIdentity, PROTOCOL_VERSION, sameEngineOptions, ServerStatus, STATUS_PATH, STOP_PATH } from './protocol';

export interface ResidentOptions {
  /** Idle time the server is started with. */
  keepAliveMs: number;
  env?: NodeJS.ProcessEnv;
  /** Notes on why the resident model was not used (the CLI prints them with --verbose). */
  onNotice?: (message: string) => void;
  /** Load progress of a server this client started, 0..1. */
  onLoadProgress?: (fraction: number) => void;
  engine?: EngineOptions;
  /** Longest wait for a server this client started to load its model (default 60 s). */
  startTimeoutMs?: number;
}

export interface ResidentModel {
  path: string;
  label?: string;
}

const STATUS_TIMEOUT_MS = 2_000;
const POLL_MS = 50;
/** Silence accepted from the server mid-answer; it sends a heartbeat every second while busy. */
const SILENCE_TIMEOUT_MS = 15_000;
const CLI_PATH = path.resolve(__dirname, '..', '..', 'bin', 'cmdai.js');

interface Connection {
  status: ServerStatus;
  backend: InferenceBackend;
}

type Probe =
  | { kind: 'none' }
  | { kind: 'refused'; refusal: Refusal }
  | { kind: 'foreign'; reason: string }
  | { kind: 'status'; status: ServerStatus };

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the socket transport loads only when the resident model is used
  return (require('../../package.json') as { version: string }).version;
}

/**
 * Wraps the in-process backend: requests go to the resident server when one can be used, and to
 * `inProcess` otherwise (with a notice saying why).
 */
export function createResidentBackend(inProcess: InferenceBackend, resolveModel: () => Promise<ResidentModel | undefined>, options: ResidentOptions): InferenceBackend {
  const env = options.env ?? process.env;
  const location = serverLocation(env);
  const notice = (message: string) => options.onNotice?.(`resident model: ${message}`);
  let connection: Connection | undefined;

  async function connect(signal?: AbortSignal): Promise<Connection | undefined> {
    if (connection) return connection;
    const model = await resolveModel();
    if (!model) return undefined;
    const refusal = prepareSocketDir(location);
    if (refusal) {
      notice(`not used: ${refusal.reason}. ${refusal.hint}`);
      return undefined;
    }
    let probe = await probeServer(location, { hold: true });
    if (probe.kind === 'none') {
      const started = startServer(location, model, options, env);
      if (typeof started === 'string') {
        notice(`cannot start the server: ${started}`);
        return undefined;
      }
      probe = await waitUntilReady(location, started, options, signal);
    } else if (probe.kind === 'status' && probe.status.state === 'loading') {
      probe = await waitUntilReady(location, undefined, options, signal);
    }
    if (probe.kind === 'none') {
      notice(`the server did not start (see ${location.log})`);
      return undefined;
    }
    if (probe.kind === 'refused') {
      notice(`not used: ${probe.refusal.reason}. ${probe.refusal.hint}`);
      return undefined;
    }
    if (probe.kind === 'foreign') {
      notice(`not used: ${probe.reason}`);
      return undefined;
    }
    const status = probe.status;
    if (status.protocol !== PROTOCOL_VERSION || status.version !== version()) {
      notice(`the running server is cmdai ${status.version} (this is ${version()}); asking it to stop and answering in-process`);
      void stopServer(location).catch(() => undefined);
      return undefined;
    }
    if (status.model.identity !== modelIdentity(model.path) || !sameEngineOptions(status.engine, options.engine ?? {})) {
      notice(`the running server has ${status.model.path} loaded, not ${model.path}; it stops once idle and this request is answered in-process`);
      void stopServer(location, { wait: false }).catch(() => undefined);
      return undefined;
    }
    if (status.state !== 'ready') {
      notice(status.state === 'failed' ? `the server could not load the model: ${status.error}` : `the server is ${status.state}`);
      return undefined;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the socket transport loads only when the resident model is used
    const { createOpenAIBackend } = require('../backends/openai') as typeof import('../backends/openai');
    connection = {
      status,
      backend: createOpenAIBackend({
        // Only the path counts: the request goes to the socket (lib/http/transport, without got).
        endpoint: 'http://127.0.0.1/v1',
        model: status.model.label,
        serverKind: 'generic',
        software: 'cmdai',
        retries: 0,
        timeoutMs: SILENCE_TIMEOUT_MS,
        connectTimeoutMs: STATUS_TIMEOUT_MS,
        socketPath: location.socket,
      }),
    };
    return connection;
  }

  return {
    name: inProcess.name,

    async status(): Promise<BackendStatus> {
      return inProcess.status();
    },

    async generate(request: GenerateRequest): Promise<GenerateResult> {
      let server: Connection | undefined;
      try {
        server = await connect(request.signal);
      } catch (err) {
        if (isAbortError(err) || request.signal?.aborted) throw err;
        notice(`not used: ${(err as Error).message}`);
      }
      if (!server) return inProcess.generate(request);

      let emitted = false;
      try {
        const result = await server.backend.generate({
          ...request,
          onToken: (piece) => {
            emitted = true;
            request.onToken?.(piece);
          },
        });
        return { ...result, backend: inProcess.name, model: server.status.model.label, endpoint: location.socket, server: 'cmdai', resident: true };
      } catch (err) {
        if (request.signal?.aborted) throw err;
        connection = undefined;
        const reason = err instanceof CmdaiError ? err.message : (err as Error).message;
        notice(`the server failed mid-request (${reason.replace(/\.$/, '')}); answering in-process`);
        if (emitted) request.onRestart?.();
        return inProcess.generate(request);
      }
    },

    async dispose(): Promise<void> {
      connection = undefined;
      await inProcess.dispose();
    },
  };
}

/** One JSON request to the server over its socket; rejects on any transport failure. */
function requestJson<T>(socket: string, method: 'GET' | 'POST', route: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    // The Host header is an IP address so that Node does not check the name "localhost" for one:
    // that check compiles Node's IPv6 pattern, ~7 ms of the first request a resident answer waits on.
    const headers = { accept: 'application/json', host: '127.0.0.1' };
    const req = http.request({ socketPath: socket, method, path: route, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (data: Buffer) => chunks.push(data));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          reject(Object.assign(new Error(`answered ${method} ${route} with something that is not JSON`), { code: 'EPROTO' }));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** What is at the socket path: nothing (a stale socket is removed), a refusal, something else, or a cmdai server. */
export async function probeServer(location: ServerLocation, options: { hold?: boolean; starting?: boolean } = {}): Promise<Probe> {
  const file = checkSocketFile(location.socket);
  if (!file.exists) return { kind: 'none' };
  if (file.refusal) return { kind: 'refused', refusal: file.refusal };
  const route = options.hold ? `${STATUS_PATH}?hold=1` : STATUS_PATH;
  try {
    // One retry for a connection dropped on a busy machine before the request was written.
    const reply = await requestJson<ServerStatus>(location.socket, 'GET', route).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      return requestJson<ServerStatus>(location.socket, 'GET', route);
    });
    const status = reply.body;
    if (reply.status !== 200 || typeof status?.version !== 'string' || typeof status?.model?.identity !== 'string') {
      return { kind: 'foreign', reason: `${location.socket} is answered by something that is not a cmdai server of this kind (status ${reply.status})` };
    }
    return { kind: 'status', status };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' && options.starting) {
      // A server this client started creates its socket file a moment before it listens on it
      // (bind, then listen): refused now is not yet, not stale. Removing it then made that
      // server stop ("the socket file was removed or replaced") and the answer go in-process.
      return { kind: 'none' };
    }
    if (code === 'ECONNREFUSED' || code === 'ENOENT') {
      // Left behind by a server that died: nobody listens. Removed only if it is still the same file.
      if (checkSocketFile(location.socket).inode === file.inode) fs.rmSync(location.socket, { force: true });
      return { kind: 'none' };
    }
    return { kind: 'foreign', reason: `the server at ${location.socket} does not answer properly (${(err as Error).message})` };
  }
}

/** Starts `cmdai serve --background` detached, its output going to the log; returns why not on failure. */
function startServer(location: ServerLocation, model: ResidentModel, options: ResidentOptions, env: NodeJS.ProcessEnv): { exited: () => boolean } | string {
  let log: number;
  try {
    log = fs.openSync(location.log, 'w', 0o600);
  } catch (err) {
    return `cannot write ${location.log} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  const args = [CLI_PATH, 'serve', '--background', '--model', model.path, '--keep-alive', `${options.keepAliveMs}ms`];
  if (model.label) args.push('--label', model.label);
  if (options.engine?.contextSize) args.push('--context-size', String(options.engine.contextSize));
  if (options.engine?.threads) args.push('--threads', String(options.engine.threads));
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env, windowsHide: true });
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    child.unref();
    return { exited: () => exited };
  } catch (err) {
    return (err as Error).message;
  } finally {
    fs.closeSync(log);
  }
}

async function waitUntilReady(location: ServerLocation, child: { exited: () => boolean } | undefined, options: ResidentOptions, signal?: AbortSignal): Promise<Probe> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (signal?.aborted) throw new CmdaiError('ABORTED', 'The request was aborted.');
    const probe = await probeServer(location, { hold: true, starting: child !== undefined && !child.exited() });
    if (probe.kind === 'status' && probe.status.state !== 'loading') return probe;
    if (probe.kind === 'status') options.onLoadProgress?.(probe.status.loadProgress);
    if (probe.kind === 'refused' || probe.kind === 'foreign') return probe;
    // Our child exited and nobody else listens (a server that lost the race leaves the winner's socket).
    if (probe.kind === 'none' && child?.exited()) return probe;
    if (Date.now() > deadline) {
      return { kind: 'foreign', reason: `the server did not get ready within ${formatDuration(options.startTimeoutMs ?? 60_000)} (see ${location.log})` };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The running server's status, or why there is none; never starts one. */
export async function residentStatus(env: NodeJS.ProcessEnv = process.env): Promise<{ location: ServerLocation; probe: Probe }> {
  const location = serverLocation(env);
  return { location, probe: await probeServer(location) };
}

/** Asks the server to stop (it finishes answers under way first); waits until it is gone unless told not to. */
export async function stopServer(location: ServerLocation, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<ServerStatus | undefined> {
  const probe = await probeServer(location);
  if (probe.kind !== 'status') return undefined;
  await requestJson(location.socket, 'POST', STOP_PATH);
  if (options.wait === false) return probe.status;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline && processAlive(probe.status.pid)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  return probe.status;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The model the resident server would load for this config, or undefined (a notice says why when
 * it is a choice, not a missing file) to answer in-process. Only GGUF files run there (llama.cpp).
 */
export async function residentModelFor(config: CmdaiConfig, spec: string | undefined, notice: (message: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ResidentModel | undefined> {
  if (config.engine === 'mlx') {
    notice('not used: the resident server runs llama.cpp models only (engine = "mlx")');
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the socket transport loads only when the resident model is used
  const models = require('../models/ensure') as typeof import('../models/ensure');
  let file: string | undefined;
  let label: string | undefined;
  if (spec && models.looksLikePath(spec)) {
    file = path.resolve(spec);
  } else {
    const found = await models.locateModel(spec, { config, format: 'gguf', env }).catch(() => undefined);
    file = found?.path;
    label = spec;
  }
  // Missing, or an MLX model folder: in-process says what is wrong, or runs it.
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
  return { path: file, label };
}
