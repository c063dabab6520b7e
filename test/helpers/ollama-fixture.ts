// An HTTP server speaking Ollama's documented wire format (ollama/ollama docs/api.md,
// docs/api/errors.mdx, docs/api/streaming.mdx):
// - POST /api/chat streams NDJSON (application/x-ndjson), one {"model","created_at","message",
//   "done":false} object per piece and a final {"done":true,"done_reason",...durations in ns};
//   with "stream": false one application/json object holding the whole message. Streaming is
//   the default when "stream" is absent.
// - GET /api/tags lists {"models":[{"name","model","modified_at","size","digest","details"}]};
//   GET /api/version answers {"version"}.
// - Errors are {"error": "..."} with the status code; an unknown model is 404
//   {"error":"model \"x\" not found, try pulling it first"}; an error after streaming began
//   arrives as an NDJSON line {"error": "..."} with the status left at 200.
import type http from 'node:http';
import { pieces, startFixtureServer, writeStream, type Fault, type FixtureServer, type RecordedRequest } from './fixture-server';

export interface OllamaFixtureOptions {
  /** Installed models, as /api/tags names them. */
  models?: string[];
  /** The assistant's answer; a function sees the request body. */
  reply?: string | ((body: Record<string, unknown>) => string);
  /** Pause between streamed lines. */
  chunkDelayMs?: number;
  version?: string;
}

export type OllamaFixture = FixtureServer;

export const DEFAULT_OLLAMA_REPLY = '{"command": "ls -la", "explanation": "List all files, with details."}';

export async function startOllamaFixture(options: OllamaFixtureOptions = {}): Promise<OllamaFixture> {
  const models = options.models ?? ['qwen2.5-coder:1.5b'];
  const delayMs = options.chunkDelayMs ?? 5;
  const version = options.version ?? '0.6.5';

  return startFixtureServer(async (request, res, fault) => {
    if (request.method === 'GET' && request.path === '/api/tags') {
      return json(res, 200, {
        models: models.map((name, i) => ({
          name,
          model: name,
          modified_at: '2025-03-01T10:00:00.000000000Z',
          size: 986_000_000 + i,
          digest: `${i}`.padStart(64, 'a'),
          details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '1.5B', quantization_level: 'Q4_K_M' },
        })),
      });
    }
    if (request.method === 'GET' && request.path === '/api/version') return json(res, 200, { version });
    if (request.method === 'POST' && request.path === '/api/chat') return chat(request, res, fault);
    return json(res, 404, { error: `404 page not found` });
  });

  async function chat(request: RecordedRequest, res: http.ServerResponse, fault: Fault | undefined): Promise<void> {
    const body = request.body;
    if (!body || typeof body !== 'object') return json(res, 400, { error: 'invalid request body' });
    const params = body as Record<string, unknown>;
    const model = params.model;
    if (typeof model !== 'string' || model === '') return json(res, 400, { error: 'model is required' });
    const installed = models.some((m) => m === model || m === `${model}:latest`);
    if (!installed) return json(res, 404, { error: `model "${model}" not found, try pulling it first` });

    const text = typeof options.reply === 'function' ? options.reply(params) : options.reply ?? DEFAULT_OLLAMA_REPLY;
    const parts = pieces(text);
    const final = {
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: '' },
      done_reason: 'stop',
      done: true,
      total_duration: 2_254_970_291,
      load_duration: 574_751_416,
      prompt_eval_count: 34,
      prompt_eval_duration: 1_502_000_000,
      eval_count: parts.length,
      eval_duration: 175_000_000,
    };
    if (params.stream === false) {
      return json(res, 200, { ...final, message: { role: 'assistant', content: text } });
    }
    const lines = parts.map(
      (content) =>
        JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: false }) + '\n',
    );
    lines.push(JSON.stringify(final) + '\n');
    await writeStream(res, lines, {
      contentType: 'application/x-ndjson',
      delayMs,
      fault,
      errorLine: (message) => JSON.stringify({ error: message }) + '\n',
    });
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}
