// One HTTP exchange over got@11, as downloads and remote backends both need it: proxies from
// the environment, fresh sockets, per-phase timeouts, and an AbortSignal that ends the request
// (and its body) at once. Callers read status and headers themselves; nothing here retries.
// A request to a local socket (the resident model's Unix socket or named pipe) goes through
// node:http instead: no proxy, DNS, TLS or redirect applies there, and got with its proxy
// agents costs ~100 ms of start-up that a resident answer should not pay. got, hpagent and
// proxy-from-env are therefore loaded on first use.

import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

import type { Agents } from 'got';

import { abortError } from './retry';

/* eslint-disable @typescript-eslint/no-require-imports -- start-up: loaded on the first network request, never for the local socket */
const lazyGot = (): typeof import('got').default => (require('got') as typeof import('got')).default;
const lazyHpagent = (): typeof import('hpagent') => require('hpagent') as typeof import('hpagent');
const lazyProxyFromEnv = (): typeof import('proxy-from-env') => require('proxy-from-env') as typeof import('proxy-from-env');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The proxy for `url` according to HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, or undefined. */
export function proxyFor(url: string): string | undefined {
  const proxy = lazyProxyFromEnv().getProxyForUrl(url);
  return proxy ? proxy : undefined;
}

/**
 * Agents for a request to `url`: through the environment's proxy when one applies, otherwise
 * fresh sockets. Node's global agent keeps sockets alive, and a server closing an idle one races
 * with its reuse (ECONNRESET on the next request); a CLI sends few requests, so none are kept.
 */
export function agentsFor(url: string): Agents {
  const proxy = proxyFor(url);
  if (proxy) {
    const { HttpProxyAgent, HttpsProxyAgent } = lazyHpagent();
    return { http: new HttpProxyAgent({ proxy, keepAlive: false }), https: new HttpsProxyAgent({ proxy, keepAlive: false }) };
  }
  return { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
}

export interface Timeouts {
  /** DNS lookup, TCP connect and TLS handshake, each. */
  connectMs: number;
  /** Until the response headers arrive. */
  responseMs: number;
  /** Longest silence on the socket once connected. */
  idleMs: number;
}

export interface StreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  timeouts: Timeouts;
  signal?: AbortSignal;
  /**
   * A Unix domain socket (or Windows named pipe) to send the request to instead of the URL's
   * host; the URL still gives the path. Proxies and redirects do not apply.
   */
  socketPath?: string;
  followRedirect?: boolean;
  /** Called before following a redirect (with followRedirect): may edit the next request's headers. */
  beforeRedirect?: (next: { url: URL; headers: Record<string, string | string[] | undefined> }, response: { headers: IncomingHttpHeaders }) => void;
}

export interface StreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, as it arrives. Errors while reading (timeouts, resets, the abort) surface here. */
  body: Readable;
}

/**
 * Sends the request and resolves when the response headers arrive. Rejects with got's error
 * (its `code` / `name` say what failed), or with an AbortError when `signal` fires; an abort
 * after that destroys the body, so a reader fails at once.
 */
export function openStream(request: StreamRequest): Promise<StreamResponse> {
  const { signal } = request;
  if (signal?.aborted) return Promise.reject(abortError());
  if (request.socketPath !== undefined) return openLocalStream(request, request.socketPath);
  return new Promise<StreamResponse>((resolve, reject) => {
    const stream = lazyGot().stream(request.url, {
      method: request.method ?? 'GET',
      ...(request.json === undefined ? {} : { json: request.json as Record<string, unknown> }),
      headers: request.headers,
      agent: agentsFor(request.url),
      decompress: false,
      throwHttpErrors: false,
      followRedirect: request.followRedirect ?? false,
      retry: { limit: 0 },
      timeout: {
        lookup: request.timeouts.connectMs,
        connect: request.timeouts.connectMs,
        secureConnect: request.timeouts.connectMs,
        response: request.timeouts.responseMs,
        socket: request.timeouts.idleMs,
      },
      hooks: request.beforeRedirect
        ? {
            beforeRedirect: [
              (next, response) => request.beforeRedirect!({ url: next.url as URL, headers: next.headers }, response),
            ],
          }
        : undefined,
    });
    // Errors after the response started are read by the body's consumer; this keeps one emitted
    // before the consumer attaches from crashing the process.
    stream.on('error', () => undefined);
    let settled = false;
    const onAbort = (): void => {
      stream.destroy(abortError());
      if (!settled) {
        settled = true;
        reject(abortError());
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal?.removeEventListener('abort', onAbort));
    stream.once('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    stream.once('response', (response: { statusCode: number; headers: IncomingHttpHeaders }) => {
      if (settled) return;
      settled = true;
      resolve({ status: response.statusCode, headers: response.headers, body: stream });
    });
  });
}

/** A got-style timeout error: `name` TimeoutError and the phase in `event`, as callers classify them. */
function timeoutError(event: 'connect' | 'response' | 'socket', ms: number): Error {
  return Object.assign(new Error(`Timeout awaiting '${event}' for ${ms}ms`), { name: 'TimeoutError', code: 'ETIMEDOUT', event });
}

/** openStream over a local socket with node:http; the same contract and error shapes as the got path. */
function openLocalStream(request: StreamRequest, socketPath: string): Promise<StreamResponse> {
  const { signal, timeouts } = request;
  const url = new URL(request.url);
  const headers: Record<string, string> = { ...request.headers, host: url.host || 'localhost' };
  let payload: Buffer | undefined;
  if (request.json !== undefined) {
    payload = Buffer.from(JSON.stringify(request.json));
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise<StreamResponse>((resolve, reject) => {
    const req = http.request({ socketPath, method: request.method ?? 'GET', path: `${url.pathname}${url.search}`, headers, agent: false });
    let response: http.IncomingMessage | undefined;
    let settled = false;
    let phaseTimer: NodeJS.Timeout | undefined;
    const fail = (error: Error): void => {
      clearTimeout(phaseTimer);
      if (response) response.destroy(error);
      req.destroy(error);
      if (!settled) {
        settled = true;
        reject(error);
      }
    };
    const onAbort = (): void => fail(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => {
      clearTimeout(phaseTimer);
      signal?.removeEventListener('abort', onAbort);
    });
    phaseTimer = setTimeout(() => fail(timeoutError('connect', timeouts.connectMs)), timeouts.connectMs);
    req.once('socket', (socket) => {
      const sent = (): void => {
        clearTimeout(phaseTimer);
        phaseTimer = setTimeout(() => fail(timeoutError('response', timeouts.responseMs)), timeouts.responseMs);
      };
      if (socket.connecting) socket.once('connect', sent);
      else sent();
    });
    req.on('error', (error) => {
      if (!settled) fail(error);
    });
    req.once('response', (res) => {
      clearTimeout(phaseTimer);
      response = res;
      // Errors after the response started are read by the body's consumer (as on the got path).
      res.on('error', () => undefined);
      res.setTimeout(timeouts.idleMs, () => res.destroy(timeoutError('socket', timeouts.idleMs)));
      settled = true;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.end(payload);
  });
}

export async function readText(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > maxBytes) break;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Splits a byte stream into text lines (NDJSON, SSE), decoding UTF-8 across chunk borders. */
export async function* linesOf(body: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk as Buffer, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      yield pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
    }
  }
  pending += decoder.decode();
  if (pending.length > 0) yield pending.replace(/\r$/, '');
}

/** The first `code` along an error's cause chain (got wraps socket errors). */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_GOT_REQUEST_ERROR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Errors that mean this machine cannot reach the network at all (not a server problem). */
const NO_ROUTE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

export function isNoRouteError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NO_ROUTE_CODES.has(code);
}

/** Socket-level failures that mean "nobody answered there", in words; worth another attempt. */
export const CONNECTION_ERROR_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENETDOWN: 'network is down',
  EAI_AGAIN: 'name lookup failed (temporary)',
  ENOTFOUND: 'host name not found',
  ERR_STREAM_PREMATURE_CLOSE: 'the server closed the connection early',
};

/**
 * A function that hides `secrets` (and any bearer token) in text shown to the user. Secrets
 * shorter than four characters are left alone: replacing them would garble ordinary words.
 */
export function secretRedactor(secrets: Array<string | undefined>): (text: string) => string {
  const hidden = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = text;
    for (const secret of hidden) out = out.split(secret).join('***');
    return out.replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***');
  };
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
