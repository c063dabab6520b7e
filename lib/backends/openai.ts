// OpenAI-compatible servers (vLLM, llama.cpp's llama-server, others): POST {endpoint}/chat/completions
// with the output JSON Schema as `response_format`, plus vLLM's own structured-output
// parameter when the server is vLLM; SSE when streaming. GET /v1/models and /health for status.
import { performance } from 'node:perf_hooks';
import { BackendUnavailableError, CmdaiError, isAbortError } from '../errors';
import {
  abortedResult,
  createHttpClient,
  describeFailure,
  linesOf,
  parseEndpoint,
  parseJsonObject,
  readText,
  streamEndedEarly,
  streamFailure,
  TransientBackendError,
  type HttpClient,
  type RemoteBackendOptions,
} from './http';
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from './types';

export const OPENAI_DEFAULT_ENDPOINT = 'http://127.0.0.1:8000/v1';

/** Which structured-output dialect to add on top of `response_format`. */
export type OpenAIServerKind = 'auto' | 'vllm' | 'generic';

export interface OpenAIBackendOptions extends RemoteBackendOptions {
  /**
   * "auto" (default) asks GET /v1/models who owns the model (`owned_by: "vllm"`); "vllm" skips
   * the question; "generic" sends only the standard `response_format`.
   */
  serverKind?: OpenAIServerKind;
  /**
   * The server software, when the caller already knows it (the resident client has asked the
   * server itself). With a configured model, GET /v1/models is then not sent.
   */
  software?: string;
}

/** vLLM renamed `guided_json` to `structured_outputs: {json}` in 0.10.2 and removed the old name in 0.12.0. */
export type VllmStructuredParam = 'structured_outputs' | 'guided_json';

interface ServerInfo {
  /** "vllm", "llama.cpp", another `owned_by`, or undefined when unknown. */
  software?: string;
  models: string[];
  vllmParam?: VllmStructuredParam;
}

interface ChatChoice {
  message?: { content?: string | null };
  delta?: { content?: string | null };
  finish_reason?: string | null;
}

interface ChatCompletion {
  model?: string;
  choices?: ChatChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } } | null;
  /** llama-server's own per-request figures. */
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number; cache_n?: number };
  error?: unknown;
}

interface ModelList {
  data?: Array<{ id?: string; owned_by?: string }>;
}

const STATUS_TIMEOUT_MS = 5_000;
const SCHEMA_NAME = 'cmdai_output';

export function createOpenAIBackend(options: OpenAIBackendOptions = {}): InferenceBackend {
  return new OpenAIBackend(options);
}

class OpenAIBackend implements InferenceBackend {
  readonly name = 'openai';
  private readonly client: HttpClient;
  // A true private field: the root URL may carry user:password and must not show up in JSON.
  readonly #rootUrl: string;
  private readonly configuredModel?: string;
  private readonly serverKind: OpenAIServerKind;
  private serverInfo?: ServerInfo;
  private readonly knownSoftware?: string;

  constructor(options: OpenAIBackendOptions) {
    const endpoint = apiBaseUrl(options.endpoint ?? OPENAI_DEFAULT_ENDPOINT);
    this.#rootUrl = serverRootUrl(endpoint);
    this.configuredModel = options.model;
    this.serverKind = options.serverKind ?? 'auto';
    this.knownSoftware = options.software;
    this.client = createHttpClient({
      ...options,
      backend: 'openai',
      endpoint,
      hints: {
        unreachable: 'Start the server (e.g. `vllm serve <model>` or `llama-server -m <file>`), or point --endpoint / [openai] endpoint at it.',
        auth: 'Set the key with --api-key, [openai] api_key, or the CMDAI_OPENAI_API_KEY environment variable.',
      },
    });
  }

  async status(): Promise<BackendStatus> {
    const base = { backend: this.name, endpoint: this.client.displayEndpoint, model: this.configuredModel };
    const health = await this.health();
    if (health.state === 'loading') {
      return { ...base, available: false, detail: `The server at ${this.client.displayEndpoint} is still loading its model; try again in a moment.` };
    }
    let info: ServerInfo;
    try {
      info = await this.detectServer({ retries: 0, timeoutMs: STATUS_TIMEOUT_MS });
    } catch (error) {
      return { ...base, available: false, detail: describeFailure(error) };
    }
    const label = `${info.software ? `${info.software} server` : 'OpenAI-compatible server'} at ${this.client.displayEndpoint}`;
    const model = this.configuredModel ?? info.models[0];
    if (!model) {
      return { ...base, available: false, detail: `${label} lists no models; set one with --model / [openai] model.` };
    }
    if (info.models.length > 0 && !info.models.includes(model)) {
      return {
        ...base,
        model,
        available: false,
        detail: `${label} does not serve "${model}" (it serves: ${info.models.slice(0, 5).join(', ')}); fix [openai] model.`,
      };
    }
    return { ...base, model, available: true, detail: `${label} serves ${model}.` };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const onToken = request.onToken;
    const streaming = typeof onToken === 'function';
    let text = '';
    let firstTokenAt: number | undefined;
    let info: ServerInfo | undefined;
    let model = this.configuredModel ?? '';
    try {
      info = await this.detectServer({ signal: request.signal });
      model = this.configuredModel ?? info.models[0] ?? '';
      if (!model) {
        throw new CmdaiError('CONFIG', `The server at ${this.client.displayEndpoint} lists no models and none is configured.`, {
          hint: 'Set the model name with --model or [openai] model.',
        });
      }
      const body = chatBody(request, model, streaming, info.vllmParam);
      const reply = await this.client.exchange(
        { method: 'POST', path: 'chat/completions', body, signal: request.signal },
        async (response) => {
          text = '';
          // A server that ignores `stream` answers with one JSON body: take it whole, and hand
          // its text to the listener in one piece.
          const whole = !streaming || /^application\/json/i.test(String(response.headers['content-type'] ?? ''));
          if (whole) {
            const raw = await readText(response.body, 16 * 1024 * 1024);
            const completion = parseJsonObject<ChatCompletion>(raw, () => this.client.malformedBody('a response', raw));
            if (completion.error !== undefined) throw this.serverError(completion.error);
            const choice = completion.choices?.[0];
            if (!choice) throw this.client.malformedBody('a response without choices', raw);
            text = choice.message?.content ?? '';
            if (streaming && text) {
              firstTokenAt ??= performance.now();
              onToken(text);
            }
            return { completion, finishReason: choice.finish_reason ?? undefined };
          }
          let finishReason: string | undefined;
          let last: ChatCompletion = {};
          try {
            for await (const line of linesOf(response.body)) {
              const data = sseData(line);
              if (data === undefined) continue;
              if (data === '[DONE]') return { completion: last, finishReason };
              const chunk = parseJsonObject<ChatCompletion>(data, () => this.client.malformedBody('a stream event', data));
              if (chunk.error !== undefined) throw this.serverError(chunk.error);
              const choice = chunk.choices?.[0];
              const piece = choice?.delta?.content ?? '';
              if (piece) {
                firstTokenAt ??= performance.now();
                text += piece;
                onToken(piece);
              }
              finishReason = choice?.finish_reason ?? finishReason;
              last = { model: chunk.model ?? last.model, usage: chunk.usage ?? last.usage, timings: chunk.timings ?? last.timings };
            }
          } catch (error) {
            throw streamFailure(this.client, error, request.signal, text.length);
          }
          // Some servers end the stream without [DONE]; an answer with a finish reason is complete.
          if (finishReason) return { completion: last, finishReason };
          throw streamEndedEarly(this.client, text.length);
        },
      );
      const ended = performance.now();
      const { completion, finishReason } = reply;
      const serverTimings = completion.timings;
      return {
        text,
        backend: this.name,
        model: completion.model ?? model,
        stopReason: finishReason === 'length' ? 'length' : 'eos',
        endpoint: this.client.displayEndpoint,
        server: info.software,
        timings: {
          loadMs: 0,
          promptTokens: serverTimings?.prompt_n ?? completion.usage?.prompt_tokens,
          cachedTokens: serverTimings?.cache_n ?? completion.usage?.prompt_tokens_details?.cached_tokens,
          promptMs: serverTimings?.prompt_ms,
          timeToFirstTokenMs: (firstTokenAt ?? ended) - started,
          generatedTokens: serverTimings?.predicted_n ?? completion.usage?.completion_tokens,
          generationMs: serverTimings?.predicted_ms ?? ended - (firstTokenAt ?? started),
          totalMs: ended - started,
        },
      };
    } catch (error) {
      if (!isAbortError(error) && !request.signal?.aborted) throw error;
      return abortedResult(this.client, { text, model, server: info?.software, started, firstTokenAt });
    }
  }

  async dispose(): Promise<void> {
    // No sockets are kept between requests; the ones in flight end now.
    this.client.abortAll();
  }

  /**
   * Learns the server software and its models once. A server that cannot be reached fails
   * here (so the chain can fall back); one without /models is treated as generic.
   */
  private async detectServer(overrides: { signal?: AbortSignal; retries?: number; timeoutMs?: number }): Promise<ServerInfo> {
    if (this.serverInfo) return this.serverInfo;
    if (this.knownSoftware !== undefined && this.configuredModel !== undefined && this.serverKind !== 'auto') {
      this.serverInfo = { software: this.knownSoftware, models: [this.configuredModel] };
      return this.serverInfo;
    }
    let list: ModelList = {};
    try {
      list = await this.client.requestJson<ModelList>({ method: 'GET', path: 'models', ...overrides });
    } catch (error) {
      const listingMissing = error instanceof CmdaiError && error.code === 'BACKEND_PROTOCOL' && this.configuredModel !== undefined;
      if (!listingMissing) throw error;
    }
    const entries = Array.isArray(list.data) ? list.data : [];
    const owners = entries.map((m) => m.owned_by).filter((o): o is string => typeof o === 'string');
    const isVllm = this.serverKind === 'vllm' || (this.serverKind === 'auto' && owners.includes('vllm'));
    const info: ServerInfo = {
      software: isVllm ? 'vllm' : softwareName(owners[0]),
      models: entries.map((m) => m.id).filter((id): id is string => typeof id === 'string'),
    };
    if (isVllm) info.vllmParam = vllmParamFor(await this.vllmVersion(overrides));
    this.serverInfo = info;
    return info;
  }

  /** vLLM answers GET /version at the server root; older or proxied servers may not. */
  private async vllmVersion(overrides: { signal?: AbortSignal; timeoutMs?: number }): Promise<string | undefined> {
    try {
      const reply = await this.client.requestJson<{ version?: string }>({
        method: 'GET',
        path: `${this.#rootUrl}/version`,
        retries: 0,
        signal: overrides.signal,
        timeoutMs: overrides.timeoutMs ?? STATUS_TIMEOUT_MS,
      });
      return typeof reply.version === 'string' ? reply.version : undefined;
    } catch (error) {
      if (error instanceof BackendUnavailableError || isAbortError(error)) throw error;
      return undefined;
    }
  }

  /** GET /health at the server root: llama-server says 503 while loading, vLLM answers 200. */
  private async health(): Promise<{ state: 'ok' | 'loading' | 'unknown' }> {
    try {
      await this.client.exchange({ method: 'GET', path: `${this.#rootUrl}/health`, retries: 0, timeoutMs: STATUS_TIMEOUT_MS }, async () => undefined);
      return { state: 'ok' };
    } catch (error) {
      if (error instanceof TransientBackendError && error.httpStatus === 503) return { state: 'loading' };
      return { state: 'unknown' };
    }
  }

  private serverError(error: unknown): CmdaiError {
    const message =
      typeof error === 'string'
        ? error
        : typeof (error as { message?: unknown })?.message === 'string'
          ? (error as { message: string }).message
          : JSON.stringify(error);
    return new CmdaiError('GENERATION', `The server at ${this.client.displayEndpoint} failed while generating: ${this.client.redact(message)}.`, {
      hint: 'Check the server log.',
    });
  }
}

function chatBody(request: GenerateRequest, model: string, streaming: boolean, vllmParam: VllmStructuredParam | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    stream: streaming,
  };
  if (streaming) body.stream_options = { include_usage: true };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop?.length) body.stop = request.stop;
  // Not in OpenAI's own API; vLLM and llama-server read them. Sent only when asked for.
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.minP !== undefined) body.min_p = request.minP;
  if (request.jsonSchema) {
    body.response_format = { type: 'json_schema', json_schema: { name: SCHEMA_NAME, schema: request.jsonSchema, strict: true } };
    // vLLM silently ignores parameter names it does not know, so the name must match its version.
    if (vllmParam === 'structured_outputs') body.structured_outputs = { json: request.jsonSchema };
    if (vllmParam === 'guided_json') body.guided_json = request.jsonSchema;
  }
  return body;
}

/** The JSON payload of one SSE line, or undefined for comments, other fields and blank lines. */
function sseData(line: string): string | undefined {
  if (!line.startsWith('data:')) return undefined;
  const data = line.slice(5).trim();
  return data === '' ? undefined : data;
}

/** structured_outputs from vLLM 0.10.2 on (and when the version is unknown: current servers); guided_json before. */
export function vllmParamFor(version: string | undefined): VllmStructuredParam {
  const match = version?.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/);
  if (!match) return 'structured_outputs';
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  const atLeast0102 = major > 0 || minor > 10 || (minor === 10 && patch >= 2);
  return atLeast0102 ? 'structured_outputs' : 'guided_json';
}

/** `owned_by` names the software for vLLM ("vllm") and llama-server ("llamacpp"); others say little. */
function softwareName(owner: string | undefined): string | undefined {
  if (owner === 'llamacpp') return 'llama.cpp';
  return owner || undefined;
}

/** The API base: a bare server address gets "/v1", which is where vLLM and llama-server serve it. */
export function apiBaseUrl(endpoint: string): string {
  const url = parseEndpoint(endpoint, 'openai');
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1';
  return url.href.replace(/\/+$/, '');
}

/** The server root, where /health and /version live: the API base without its trailing /v1. */
export function serverRootUrl(apiBase: string): string {
  const url = new URL(apiBase);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return url.href.replace(/\/+$/, '');
}

/**
 * The API key by precedence: flag, CMDAI_OPENAI_API_KEY, the config file's [openai] api_key,
 * then OPENAI_API_KEY (the generic variable other tools use, so it comes last).
 */
export function resolveOpenAIApiKey(sources: { flag?: string; config?: string; env?: NodeJS.ProcessEnv }): string | undefined {
  const env = sources.env ?? process.env;
  const candidates = [sources.flag, env.CMDAI_OPENAI_API_KEY, sources.config, env.OPENAI_API_KEY];
  return candidates.find((key): key is string => typeof key === 'string' && key.trim() !== '')?.trim();
}
