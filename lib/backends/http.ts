// The HTTP client the remote backends share: timeouts, retries with backoff, error
// classification and API-key hygiene, over got@11.
//
// Failures come out as CmdaiErrors a user can act on. BackendUnavailableError means "this
// server cannot answer now" (refused, reset, timed out, 5xx, 429 after retries): the fallback
// chain may ask the next backend. Everything else (auth, bad request, missing model, malformed
// body) is an error the user has to fix, so it is neither retried nor a fallback.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { BackendUnavailableError, CmdaiError } from '../errors';
import type { GenerateResult } from './types';
import { REMOTE_HTTP_DEFAULTS } from '../http/defaults';
import { formatMs, parseRetryAfter, retryDelay, sleep } from '../http/retry';
import { CONNECTION_ERROR_WORDS, openStream, readText, secretRedactor } from '../http/transport';

export { linesOf, readText } from '../http/transport';
export { formatMs } from '../http/retry';

export interface HttpClientOptions {
  /** Backend name used in messages, e.g. "ollama". */
  backend: string;
  /** Base URL that API paths are appended to, e.g. "http://127.0.0.1:8000/v1". */
  endpoint: string;
  /** Sent as "Authorization: Bearer <key>"; never shown in messages or output. */
  apiKey?: string;
  /** Longest silence accepted from the server: until the response starts, and between body bytes. */
  timeoutMs?: number;
  /** Longest wait for a TCP/TLS connection. */
  connectTimeoutMs?: number;
  /** Further attempts after the first one fails transiently. */
  retries?: number;
  /** First backoff delay; doubles each attempt (with jitter). */
  retryBaseDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the backend counts as unavailable. */
  maxRetryAfterMs?: number;
  /** A local socket (Unix domain socket or Windows named pipe) to send every request to. */
  socketPath?: string;
  /** Called with warnings a user should see, e.g. cleartext HTTP to another machine (default: stderr). */
  onWarning?: (message: string) => void;
  hints?: {
    /** What to do when the server cannot be reached. */
    unreachable?: string;
    /** What to do when the server rejects the credentials. */
    auth?: string;
  };
  /** A backend-specific reading of an error status, e.g. Ollama's 404 "model not found". */
  interpretStatus?: (status: number, serverMessage: string, path: string) => CmdaiError | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** A path under the endpoint ("chat/completions") or an absolute URL. */
  path: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the client's retry count (status probes use 0). */
  retries?: number;
  /** Overrides the client's silence timeout. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, 2xx only; a stream error or silence past the timeout surfaces while reading it. */
  body: Readable;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * A failure worth another attempt. It is a BackendUnavailableError, so once the retries are
 * spent it travels on unchanged and the fallback chain can move to the next backend.
 */
export class TransientBackendError extends BackendUnavailableError {
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
  /** The HTTP status, when the server answered with one (429, 5xx). */
  readonly httpStatus?: number;

  constructor(message: string, options?: { hint?: string; retryAfterMs?: number; httpStatus?: number }) {
    super(message, { hint: options?.hint });
    this.name = 'BackendUnavailableError';
    this.retryAfterMs = options?.retryAfterMs;
    this.httpStatus = options?.httpStatus;
  }
}

/** Thrown while reading when the caller's AbortSignal fired. */
export class RequestAbortedError extends CmdaiError {
  constructor(backend: string) {
    super('ABORTED', `The request to ${backend} was aborted.`);
    this.name = 'AbortError';
  }
}

export interface HttpClient {
  /** The endpoint as safe to show: no user info, no query. */
  readonly displayEndpoint: string;
  readonly backend: string;
  /**
   * Sends the request and hands a 2xx response to `consume`, retrying the whole exchange
   * when the request or `consume` fails with a TransientBackendError. `consume` must throw a
   * non-transient error once it has passed output on, so that nothing is produced twice.
   */
  exchange<T>(request: HttpRequest, consume: (response: HttpResponse) => Promise<T>): Promise<T>;
  /** An exchange whose body is one JSON document. */
  requestJson<T>(request: HttpRequest): Promise<T>;
  /** Replaces the API key (and the header form of it) with "***". */
  redact(text: string): string;
  /** The error for a body that could not be parsed. */
  malformedBody(what: string, sample: string): CmdaiError;
  /** Classifies a failure raised by got or by reading a body. */
  classifyFailure(error: unknown, signal?: AbortSignal): Error;
  /** Ends every request in flight at once (they reject with an AbortError); later ones still work. */
  abortAll(): void;
}

export function createHttpClient(clientOptions: HttpClientOptions): HttpClient {
  const options = {
    ...clientOptions,
    timeoutMs: clientOptions.timeoutMs ?? REMOTE_HTTP_DEFAULTS.timeoutMs,
    connectTimeoutMs: clientOptions.connectTimeoutMs ?? REMOTE_HTTP_DEFAULTS.connectTimeoutMs,
    retries: clientOptions.retries ?? REMOTE_HTTP_DEFAULTS.retries,
  };
  const endpointUrl = parseEndpoint(options.endpoint, options.backend);
  const baseUrl = endpointUrl.href.replace(/\/+$/, '');
  const displayEndpoint = displayUrl(endpointUrl);
  const backend = options.backend;
  const retryPolicy = {
    retryBaseDelayMs: options.retryBaseDelayMs ?? REMOTE_HTTP_DEFAULTS.retryBaseDelayMs,
    maxBackoffMs: REMOTE_HTTP_DEFAULTS.maxBackoffMs,
    maxRetryAfterMs: options.maxRetryAfterMs ?? REMOTE_HTTP_DEFAULTS.maxRetryAfterMs,
  };
  // Redacted wherever a server's words are shown.
  const redact = secretRedactor([options.apiKey, decodeURIComponent(endpointUrl.password)]);
  // Every request in flight, so that abortAll() (a backend's dispose()) can end them.
  const inFlight = new Set<AbortController>();

  if (endpointUrl.protocol === 'http:' && !isLoopbackHost(endpointUrl.hostname)) {
    const keyNote = options.apiKey ? ', including your API key,' : '';
    const warn = options.onWarning ?? ((message: string) => process.stderr.write(`cmdai: warning: ${message}\n`));
    warn(
      `${backend}: ${displayEndpoint} uses cleartext http:// on a non-loopback host; ` +
        `requests${keyNote} can be read on the network. Use https:// for a remote server.`,
    );
  }

  const resolveUrl = (path: string): string =>
    /^https?:\/\//i.test(path) ? path : `${baseUrl}/${path.replace(/^\/+/, '')}`;

  const headers: Record<string, string> = { 'user-agent': 'cmdai', accept: 'application/json, text/event-stream, application/x-ndjson' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  function classifyFailure(error: unknown, signal?: AbortSignal): Error {
    if (signal?.aborted) return new RequestAbortedError(backend);
    if (error instanceof CmdaiError) return error;
    const err = error as { name?: string; code?: string; event?: string; message?: string };
    const unreachableHint = options.hints?.unreachable;
    if (err?.name === 'TimeoutError') {
      const event = err.event ?? '';
      if (event === 'lookup' || event === 'connect' || event === 'secureConnect') {
        return new TransientBackendError(
          `${backend} at ${displayEndpoint} did not accept a connection within ${options.connectTimeoutMs} ms.`,
          { hint: unreachableHint },
        );
      }
      // A server that is up but silent: asking it again would only multiply the wait.
      return new BackendUnavailableError(
        `${backend} at ${displayEndpoint} sent nothing for ${formatMs(options.timeoutMs)} (timeout).`,
        { hint: `The server may be overloaded or still loading the model; raise the timeout (--timeout or [${backend}] timeout_ms) if it is just slow.` },
      );
    }
    if (err?.code && err.code in CONNECTION_ERROR_WORDS) {
      return new TransientBackendError(
        `Cannot reach ${backend} at ${displayEndpoint}: ${CONNECTION_ERROR_WORDS[err.code] ?? err.code}.`,
        { hint: unreachableHint },
      );
    }
    if (err?.code && /CERT|SSL|TLS|SELF_SIGNED/i.test(err.code)) {
      return new CmdaiError('BACKEND_PROTOCOL', `${backend} at ${displayEndpoint}: TLS failed (${err.code}).`, {
        hint: 'Check the server certificate, or the https:// address.',
      });
    }
    const detail = redact(String(err?.message ?? error));
    return new BackendUnavailableError(`${backend} at ${displayEndpoint} failed: ${detail}`, { hint: unreachableHint });
  }

  function malformedBody(what: string, sample: string): CmdaiError {
    const shown = redact(sample.trim().slice(0, 120)).replace(/\s+/g, ' ');
    return new CmdaiError(
      'BACKEND_PROTOCOL',
      `${backend} at ${displayEndpoint} sent ${what} that is not valid JSON: ${shown ? JSON.stringify(shown) : '(empty)'}.`,
      { hint: `Check that ${displayEndpoint} is really a ${backend} server (a proxy or another service may be answering).` },
    );
  }

  function statusError(status: number, bodyText: string, headersIn: IncomingHttpHeaders, path: string): Error {
    const serverMessage = redact(extractServerMessage(bodyText));
    const special = options.interpretStatus?.(status, serverMessage, path);
    if (special) return special;
    const says = serverMessage ? `: ${serverMessage}` : '';
    if (status === 401 || status === 403) {
      return new CmdaiError(
        'BACKEND_AUTH',
        `${backend} at ${displayEndpoint} refused the credentials (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'})${says}.`,
        { hint: options.hints?.auth },
      );
    }
    if (status === 429) {
      return new TransientBackendError(`${backend} at ${displayEndpoint} is rate limiting requests (429)${says}.`, {
        retryAfterMs: parseRetryAfter(headersIn['retry-after']),
        httpStatus: status,
        hint: 'Wait a moment and try again, or configure a fallback backend.',
      });
    }
    if (status >= 500) {
      return new TransientBackendError(`${backend} at ${displayEndpoint} had a server error (${status})${says}.`, {
        retryAfterMs: status === 503 ? parseRetryAfter(headersIn['retry-after']) : undefined,
        httpStatus: status,
        hint: 'Check the server log; the fallback backend answers meanwhile if one is configured.',
      });
    }
    if (status >= 300 && status < 400) {
      const location = headersIn.location ? ` to ${redact(String(headersIn.location))}` : '';
      return new CmdaiError('BACKEND_PROTOCOL', `${backend} at ${displayEndpoint} redirected the request${location} (${status}).`, {
        hint: 'Set the endpoint to the final address.',
      });
    }
    if (status === 404) {
      return new CmdaiError('BACKEND_PROTOCOL', `${backend} at ${displayEndpoint} has no ${path} (404)${says}.`, {
        hint: `Check the endpoint: is it a ${backend} server, with the right base path?`,
      });
    }
    return new CmdaiError('BACKEND_PROTOCOL', `${backend} at ${displayEndpoint} rejected the request (${status})${says}.`);
  }

  async function open(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    const silenceMs = request.timeoutMs ?? options.timeoutMs;
    let response: HttpResponse;
    try {
      response = await openStream({
        url: resolveUrl(request.path),
        method: request.method,
        json: request.body,
        headers,
        socketPath: options.socketPath,
        timeouts: { connectMs: options.connectTimeoutMs, responseMs: silenceMs, idleMs: silenceMs },
        signal,
      });
    } catch (error) {
      throw classifyFailure(error, signal);
    }
    if (response.status >= 200 && response.status < 300) return response;
    const text = await readText(response.body, MAX_ERROR_BODY_BYTES).catch(() => '');
    response.body.destroy();
    if (signal.aborted) throw new RequestAbortedError(backend);
    throw statusError(response.status, text, response.headers, request.path);
  }

  async function exchange<T>(request: HttpRequest, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    // The caller's signal and abortAll() both end the request.
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    inFlight.add(controller);
    try {
      return await exchangeWithRetries(request, signal, consume);
    } finally {
      inFlight.delete(controller);
    }
  }

  async function exchangeWithRetries<T>(request: HttpRequest, signal: AbortSignal, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    const retries = request.retries ?? options.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await open(request, signal);
        try {
          return await consume(response);
        } catch (error) {
          throw classifyFailure(error, signal);
        } finally {
          response.body.destroy();
        }
      } catch (error) {
        if (!(error instanceof TransientBackendError) || signal.aborted) throw error;
        if (attempt >= retries) {
          if (retries === 0) throw error;
          throw new TransientBackendError(`${error.message.replace(/\.$/, '')} (gave up after ${attempt + 1} attempts).`, {
            hint: error.hint,
            retryAfterMs: error.retryAfterMs,
            httpStatus: error.httpStatus,
          });
        }
        const delay = retryDelay(attempt, retryPolicy, error.retryAfterMs);
        if (delay === undefined) {
          throw new BackendUnavailableError(
            `${error.message} The server asks to wait ${formatMs(error.retryAfterMs!)}, longer than cmdai waits (${formatMs(retryPolicy.maxRetryAfterMs)}).`,
            { hint: error.hint },
          );
        }
        await sleep(delay, signal).catch(() => {
          throw new RequestAbortedError(backend);
        });
      }
    }
  }

  function abortAll(): void {
    for (const controller of inFlight) controller.abort();
  }

  async function requestJson<T>(request: HttpRequest): Promise<T> {
    return exchange(request, async (response) => {
      const text = await readText(response.body, MAX_JSON_BYTES);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw malformedBody('a response', text);
      }
    });
  }

  return { displayEndpoint, backend, exchange, requestJson, redact, malformedBody, classifyFailure, abortAll };
}

/** Validates an endpoint from config or flags. */
export function parseEndpoint(endpoint: string, backend: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CmdaiError('CONFIG', `The ${backend} endpoint ${JSON.stringify(endpoint)} is not a URL.`, {
      hint: `Give a full address such as ${backend === 'ollama' ? 'http://127.0.0.1:11434' : 'http://127.0.0.1:8000/v1'} (--endpoint or [${backend}] endpoint).`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CmdaiError('CONFIG', `The ${backend} endpoint must start with http:// or https://, not ${url.protocol}//.`, {
      hint: `Use for example ${backend === 'ollama' ? 'http://127.0.0.1:11434' : 'http://127.0.0.1:8000/v1'}.`,
    });
  }
  url.search = '';
  url.hash = '';
  return url;
}

/** The URL without user info, query or trailing slash: what messages and JSON output show. */
export function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.search = '';
  copy.hash = '';
  return copy.href.replace(/\/+$/, '');
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The message in an error body: Ollama's {"error": "..."}, OpenAI's {"error": {"message"}}, or plain text. */
export function extractServerMessage(bodyText: string): string {
  const text = bodyText.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const error = parsed?.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    if (typeof parsed?.message === 'string') return parsed.message;
    if (typeof parsed?.detail === 'string') return parsed.detail;
  } catch {
    // not JSON: show the start of the text
  }
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

/**
 * What a failure while reading a streamed answer becomes. Before any text reached the caller
 * it stays retryable (and may fall back); after, it is final for this backend, so text is
 * never delivered twice by the same backend.
 */
export function streamFailure(client: HttpClient, error: unknown, signal: AbortSignal | undefined, emittedChars: number): Error {
  const failure = client.classifyFailure(error, signal);
  if (emittedChars > 0 && failure instanceof BackendUnavailableError) {
    return new BackendUnavailableError(
      `${failure.message.replace(/\.$/, '')} after ${emittedChars} characters of the answer had arrived.`,
      { hint: failure.hint },
    );
  }
  return failure;
}

/** A stream that ended cleanly but before the server said it was done: the server went away. */
export function streamEndedEarly(client: HttpClient, emittedChars: number): BackendUnavailableError {
  const message = `${client.backend} at ${client.displayEndpoint} closed the stream before the answer was complete`;
  return emittedChars > 0
    ? new BackendUnavailableError(`${message} (after ${emittedChars} characters).`)
    : new TransientBackendError(`${message}.`);
}

/** Options both remote backends take; the CLI builds them from config and flags. */
export interface RemoteBackendOptions
  extends Pick<HttpClientOptions, 'apiKey' | 'timeoutMs' | 'connectTimeoutMs' | 'retries' | 'retryBaseDelayMs' | 'maxRetryAfterMs' | 'socketPath' | 'onWarning'> {
  /** Server address; the OpenAI-compatible one includes the API base, e.g. http://host:8000/v1. */
  endpoint?: string;
  model?: string;
}

export function parseJsonObject<T>(text: string, malformed: () => Error): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed();
  }
  if (value === null || typeof value !== 'object') throw malformed();
  return value as T;
}

/**
 * The result of a remote generation that was aborted (by the caller's signal or by dispose()):
 * the text that had arrived, and the times so far.
 */
export function abortedResult(
  client: HttpClient,
  answer: { text: string; model: string; server?: string; started: number; firstTokenAt?: number },
): GenerateResult {
  const ended = performance.now();
  return {
    text: answer.text,
    backend: client.backend,
    model: answer.model,
    stopReason: 'abort',
    endpoint: client.displayEndpoint,
    server: answer.server,
    timings: {
      loadMs: 0,
      timeToFirstTokenMs: (answer.firstTokenAt ?? ended) - answer.started,
      generationMs: ended - (answer.firstTokenAt ?? answer.started),
      totalMs: ended - answer.started,
    },
  };
}

/** One line for `cmdai doctor`: the message and what to do. */
export function describeFailure(error: unknown): string {
  if (error instanceof CmdaiError) return error.hint ? `${error.message} ${error.hint}` : error.message;
  return error instanceof Error ? error.message : String(error);
}
