// An HTTP server speaking the OpenAI chat-completions wire format the way vLLM and llama-server
// do: GET /v1/models ({"object":"list","data":[{"id","object":"model","owned_by"}]}), GET /health
// and GET /version at the root (vLLM), POST /v1/chat/completions as one JSON object or as SSE
// ("data: {chunk}\n\n" ... "data: [DONE]\n\n"). Used for faults and for vLLM's parameters; the
// real llama-server covers the rest.
import type http from 'node:http';
import { pieces, startFixtureServer, writeStream, type Fault, type FixtureServer, type RecordedRequest } from './fixture-server';

export interface OpenAIFixtureOptions {
  /** `owned_by` of the listed model: "vllm" makes it look like vLLM. */
  ownedBy?: string;
  modelId?: string;
  /** Answer GET /version with this (vLLM does); 404 when undefined. */
  version?: string;
  /** Require "Authorization: Bearer <key>"; a wrong key gets 401 with the key echoed back. */
  apiKey?: string;
  reply?: string;
  chunkDelayMs?: number;
}

export type OpenAIFixture = FixtureServer;

export const DEFAULT_OPENAI_REPLY = '{"command": "ls", "explanation": "List files."}';

export async function startOpenAIFixture(options: OpenAIFixtureOptions = {}): Promise<OpenAIFixture> {
  const modelId = options.modelId ?? 'Qwen/Qwen2.5-Coder-1.5B-Instruct';
  const reply = options.reply ?? DEFAULT_OPENAI_REPLY;

  return startFixtureServer(async (request, res, fault) => {
    if (request.path === '/health') return send(res, 200, '');
    if (request.path === '/version') {
      return options.version ? json(res, 200, { version: options.version }) : json(res, 404, { detail: 'Not Found' });
    }
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      const given = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      return json(res, 401, {
        error: { message: `Incorrect API key provided: ${given}.`, type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    if (request.method === 'GET' && request.path === '/v1/models') {
      return json(res, 200, { object: 'list', data: [{ id: modelId, object: 'model', created: 1_700_000_000, owned_by: options.ownedBy ?? 'vllm' }] });
    }
    if (request.method === 'POST' && request.path === '/v1/chat/completions') return chat(request, res, fault);
    return json(res, 404, { detail: 'Not Found' });
  });

  async function chat(request: RecordedRequest, res: http.ServerResponse, fault: Fault | undefined): Promise<void> {
    const params = (request.body ?? {}) as Record<string, unknown>;
    const model = typeof params.model === 'string' ? params.model : modelId;
    const base = { id: 'chatcmpl-fixture', created: 1_700_000_000, model };
    if (params.stream !== true) {
      return json(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 20, completion_tokens: 12, total_tokens: 32 },
      });
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const lines = [chunk({ role: 'assistant', content: '' }, null), ...pieces(reply).map((p) => chunk({ content: p }, null)), chunk({}, 'stop')];
    lines.push(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 12, total_tokens: 32 } })}\n\n`);
    lines.push('data: [DONE]\n\n');
    await writeStream(res, lines, {
      contentType: 'text/event-stream',
      delayMs: options.chunkDelayMs ?? 5,
      fault,
      errorLine: (message) => `data: ${JSON.stringify({ error: { message, type: 'server_error', code: 500 } })}\n\n`,
    });
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

function send(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
