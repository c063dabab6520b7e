// Ollama over its native API: POST /api/chat (NDJSON stream or one JSON object) with the
// output JSON Schema in `format`, GET /api/tags for health and model presence.
import { performance } from 'node:perf_hooks';
import { CmdaiError, isAbortError } from '../errors';
import {
  createHttpClient,
  describeFailure,
  linesOf,
  parseJsonObject,
  readText,
  streamEndedEarly,
  streamFailure,
  type HttpClient,
  type RemoteBackendOptions,
} from './http';
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from './types';

export const OLLAMA_DEFAULT_ENDPOINT = 'http://127.0.0.1:11434';
export const OLLAMA_DEFAULT_MODEL = 'qwen2.5-coder:1.5b';

export interface OllamaBackendOptions extends RemoteBackendOptions {
  /** How long Ollama keeps the model loaded after the request: "5m", "1h", seconds, 0 unloads. */
  keepAlive?: string | number;
}

/** One line of /api/chat output, or the whole non-streamed reply (docs/api.md). */
interface OllamaChatChunk {
  model?: string;
  message?: { role?: string; content?: string };
  done?: boolean;
  done_reason?: string;
  error?: string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

interface OllamaTags {
  models?: Array<{ name?: string; model?: string }>;
}

const STATUS_TIMEOUT_MS = 5_000;

export function createOllamaBackend(options: OllamaBackendOptions = {}): InferenceBackend {
  return new OllamaBackend(options);
}

class OllamaBackend implements InferenceBackend {
  readonly name = 'ollama';
  private readonly client: HttpClient;
  private readonly model: string;
  private readonly keepAlive?: string | number;

  constructor(options: OllamaBackendOptions) {
    this.model = options.model ?? OLLAMA_DEFAULT_MODEL;
    this.keepAlive = normalizeKeepAlive(options.keepAlive);
    const model = this.model;
    this.client = createHttpClient({
      ...options,
      backend: 'ollama',
      endpoint: options.endpoint ?? OLLAMA_DEFAULT_ENDPOINT,
      hints: {
        unreachable: 'Start Ollama (`ollama serve`), or point --endpoint / [ollama] endpoint at it.',
        auth: 'The server (or a proxy in front of it) wants credentials: set --api-key.',
      },
      interpretStatus: (status, serverMessage, path) => {
        if (status === 404 && path.startsWith('api/chat') && /not found/i.test(serverMessage)) {
          return new CmdaiError('MODEL_MISSING', `Ollama at ${this.client.displayEndpoint} does not have the model "${model}".`, {
            hint: `Run \`ollama pull ${model}\`, or choose an installed model with --model / [ollama] model.`,
          });
        }
        return undefined;
      },
    });
  }

  async status(): Promise<BackendStatus> {
    const base = { backend: this.name, model: this.model, endpoint: this.client.displayEndpoint };
    let tags: OllamaTags;
    try {
      tags = await this.client.requestJson<OllamaTags>({ method: 'GET', path: 'api/tags', retries: 0, timeoutMs: STATUS_TIMEOUT_MS });
    } catch (error) {
      return { ...base, available: false, detail: describeFailure(error) };
    }
    const version = await this.version();
    const names = (tags.models ?? []).map((m) => m.name ?? m.model ?? '').filter(Boolean);
    const label = `Ollama${version ? ` ${version}` : ''} at ${this.client.displayEndpoint}`;
    if (names.some((name) => sameModel(name, this.model))) {
      return { ...base, available: true, detail: `${label} has ${this.model}.` };
    }
    const installed = names.length ? ` (installed: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})` : '';
    return {
      ...base,
      available: false,
      detail: `${label} is running but has no model "${this.model}"${installed}; run \`ollama pull ${this.model}\`.`,
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const onToken = request.onToken;
    const streaming = typeof onToken === 'function';
    const body: Record<string, unknown> = {
      model: this.model,
      messages: request.messages.map(({ role, content }) => ({ role, content })),
      stream: streaming,
      options: ollamaOptions(request),
    };
    if (request.jsonSchema) body.format = request.jsonSchema;
    if (this.keepAlive !== undefined) body.keep_alive = this.keepAlive;

    let text = '';
    let firstTokenAt: number | undefined;
    const exchange = { method: 'POST' as const, path: 'api/chat', body, signal: request.signal };
    try {
      const final = await this.client.exchange(exchange, async (response) => {
        text = '';
        if (!streaming) {
          const raw = await readText(response.body, 16 * 1024 * 1024);
          const reply = parseJsonObject<OllamaChatChunk>(raw, () => this.client.malformedBody('a response', raw));
          if (reply.error) throw this.modelError(reply.error);
          text = reply.message?.content ?? '';
          return reply;
        }
        try {
          for await (const line of linesOf(response.body)) {
            if (line.trim() === '') continue;
            const chunk = parseJsonObject<OllamaChatChunk>(line, () => this.client.malformedBody('a stream line', line));
            if (chunk.error) throw this.modelError(chunk.error);
            const piece = chunk.message?.content ?? '';
            if (piece) {
              firstTokenAt ??= performance.now();
              text += piece;
              onToken(piece);
            }
            if (chunk.done) return chunk;
          }
        } catch (error) {
          throw streamFailure(this.client, error, request.signal, text.length);
        }
        throw streamEndedEarly(this.client, text.length);
      });
      const ended = performance.now();
      return {
        text,
        backend: this.name,
        model: final.model ?? this.model,
        stopReason: final.done_reason === 'length' ? 'length' : 'eos',
        endpoint: this.client.displayEndpoint,
        server: 'ollama',
        timings: {
          loadMs: nsToMs(final.load_duration) ?? 0,
          promptTokens: final.prompt_eval_count,
          promptMs: nsToMs(final.prompt_eval_duration),
          timeToFirstTokenMs: (firstTokenAt ?? ended) - started,
          generatedTokens: final.eval_count,
          generationMs: nsToMs(final.eval_duration) ?? ended - (firstTokenAt ?? started),
          totalMs: ended - started,
        },
      };
    } catch (error) {
      if (!isAbortError(error) && !request.signal?.aborted) throw error;
      const ended = performance.now();
      return {
        text,
        backend: this.name,
        model: this.model,
        stopReason: 'abort',
        endpoint: this.client.displayEndpoint,
        server: 'ollama',
        timings: {
          loadMs: 0,
          timeToFirstTokenMs: (firstTokenAt ?? ended) - started,
          generationMs: ended - (firstTokenAt ?? started),
          totalMs: ended - started,
        },
      };
    }
  }

  async dispose(): Promise<void> {
    // No sockets are kept between requests; the ones in flight end now.
    this.client.abortAll();
  }

  private async version(): Promise<string | undefined> {
    try {
      const reply = await this.client.requestJson<{ version?: string }>({
        method: 'GET',
        path: 'api/version',
        retries: 0,
        timeoutMs: STATUS_TIMEOUT_MS,
      });
      return typeof reply.version === 'string' ? reply.version : undefined;
    } catch {
      return undefined;
    }
  }

  private modelError(serverMessage: string): CmdaiError {
    return new CmdaiError('GENERATION', `Ollama at ${this.client.displayEndpoint} failed while generating: ${this.client.redact(serverMessage)}.`, {
      hint: 'Check the Ollama server log (`ollama serve` output or `journalctl -u ollama`).',
    });
  }
}

/** Request options in Ollama's Modelfile parameter names; unset ones keep the model's defaults. */
function ollamaOptions(request: GenerateRequest): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topK !== undefined) options.top_k = request.topK;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.minP !== undefined) options.min_p = request.minP;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.stop?.length) options.stop = request.stop;
  return options;
}

/** Ollama reads a JSON number as seconds and a string as a Go duration ("5m"), so "300" must become 300. */
function normalizeKeepAlive(value: string | number | undefined): string | number | undefined {
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return value;
}

/** "llama3.2" and "llama3.2:latest" name the same model. */
function sameModel(a: string, b: string): boolean {
  const withTag = (name: string): string => (name.includes(':') ? name : `${name}:latest`);
  return withTag(a) === withTag(b);
}

function nsToMs(ns: number | undefined): number | undefined {
  return typeof ns === 'number' ? ns / 1e6 : undefined;
}
