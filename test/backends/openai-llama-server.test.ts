// The OpenAI-compatible backend against the real llama-server built from the project's
// llama.cpp source, serving the tiny test model on 127.0.0.1.
import { createOpenAIBackend } from '../../lib/backends/openai';
import { CmdaiError } from '../../lib/errors';
import { startLlamaServer, TINY_MODEL_ALIAS, type LlamaServer } from '../helpers/llama-server';

// With random weights the text is noise; the schema keeps the answer short enough to finish.
const SCHEMA = {
  type: 'object',
  properties: {
    command: { type: 'string', maxLength: 12 },
    risky: { type: 'boolean' },
  },
  required: ['command', 'risky'],
  additionalProperties: false,
};
const MESSAGES = [
  { role: 'system' as const, content: 'Answer with one shell command as JSON.' },
  { role: 'user' as const, content: 'list files' },
];

let server: LlamaServer;

beforeAll(async () => {
  server = await startLlamaServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
}, 15_000);

function backend(options: Parameters<typeof createOpenAIBackend>[0] = {}) {
  return createOpenAIBackend({ endpoint: server.endpoint, retries: 0, timeoutMs: 30_000, ...options });
}

describe('OpenAI-compatible backend on llama-server', () => {
  test('status finds the llama.cpp server and the model it serves', async () => {
    const status = await backend().status();
    expect(status).toMatchObject({ backend: 'openai', available: true, model: TINY_MODEL_ALIAS, endpoint: server.endpoint });
    expect(status.detail).toContain('llama.cpp server');
  }, 20_000);

  test('a non-streamed completion returns text, the served model, and the server\'s token counts', async () => {
    const result = await backend().generate({ messages: MESSAGES, maxTokens: 8, temperature: 0 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result).toMatchObject({ backend: 'openai', model: TINY_MODEL_ALIAS, server: 'llama.cpp', endpoint: server.endpoint, stopReason: 'length' });
    expect(result.timings.generatedTokens).toBe(8);
    expect(result.timings.promptTokens).toBeGreaterThan(0);
  }, 30_000);

  test('streaming delivers the SSE deltas through onToken, and they add up to the same greedy text', async () => {
    const whole = await backend().generate({ messages: MESSAGES, maxTokens: 12, temperature: 0, seed: 1 });
    const tokens: string[] = [];
    const streamed = await backend().generate({ messages: MESSAGES, maxTokens: 12, temperature: 0, seed: 1, onToken: (p) => tokens.push(p) });
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(streamed.text);
    expect(streamed.text).toBe(whole.text);
    expect(streamed.timings.generatedTokens).toBe(12);
    expect(streamed.timings.timeToFirstTokenMs).toBeLessThanOrEqual(streamed.timings.totalMs);
  }, 30_000);

  test('with a JSON Schema the answer parses and has the schema\'s shape, streamed or not', async () => {
    for (const onToken of [undefined, (): void => {}]) {
      const result = await backend().generate({ messages: MESSAGES, jsonSchema: SCHEMA, maxTokens: 200, temperature: 0.8, seed: 42, onToken });
      const parsed = JSON.parse(result.text) as Record<string, unknown>;
      expect(Object.keys(parsed).sort()).toEqual(['command', 'risky']);
      expect(typeof parsed.command).toBe('string');
      expect((parsed.command as string).length).toBeLessThanOrEqual(12);
      expect(typeof parsed.risky).toBe('boolean');
      expect(result.stopReason).toBe('eos');
    }
  }, 60_000);

  test('aborting mid-stream ends the request early with stopReason abort and the text so far', async () => {
    const controller = new AbortController();
    const tokens: string[] = [];
    const started = Date.now();
    const result = await backend().generate({
      messages: MESSAGES,
      maxTokens: 400,
      temperature: 0,
      signal: controller.signal,
      onToken: (piece) => {
        tokens.push(piece);
        if (tokens.length === 3) controller.abort();
      },
    });
    expect(result.stopReason).toBe('abort');
    expect(result.text).toBe(tokens.join(''));
    expect(tokens.length).toBeLessThan(400);
    // The server is free again right away: the next request is answered.
    const next = await backend().generate({ messages: MESSAGES, maxTokens: 2 });
    expect(next.timings.generatedTokens).toBe(2);
    expect(Date.now() - started).toBeLessThan(25_000);
  }, 30_000);

  test('a bare server address gets /v1 appended, where llama-server serves the API', async () => {
    const result = await createOpenAIBackend({ endpoint: server.root, retries: 0 }).generate({ messages: MESSAGES, maxTokens: 2 });
    expect(result.endpoint).toBe(server.endpoint);
    expect(result.timings.generatedTokens).toBe(2);
  }, 30_000);
});

describe('OpenAI-compatible backend on llama-server with --api-key', () => {
  const KEY = 'sk-test-4f1b2c9d8e7a';
  let guarded: LlamaServer;

  beforeAll(async () => {
    guarded = await startLlamaServer({ apiKey: KEY });
  }, 60_000);

  afterAll(async () => {
    await guarded?.stop();
  }, 15_000);

  test('the right key is sent as a Bearer token and the request succeeds', async () => {
    const result = await createOpenAIBackend({ endpoint: guarded.endpoint, apiKey: KEY, retries: 0 }).generate({ messages: MESSAGES, maxTokens: 3 });
    expect(result.timings.generatedTokens).toBe(3);
  }, 30_000);

  test('a wrong key is a BACKEND_AUTH error that names the fix and never shows the key', async () => {
    const wrongKey = 'sk-wrong-0123456789';
    const error = await createOpenAIBackend({ endpoint: guarded.endpoint, apiKey: wrongKey, retries: 3 })
      .generate({ messages: MESSAGES, maxTokens: 3 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CmdaiError);
    expect(error).toMatchObject({ code: 'BACKEND_AUTH' });
    expect((error as CmdaiError).message).toContain('401');
    expect((error as CmdaiError).hint).toContain('CMDAI_OPENAI_API_KEY');
    expect(JSON.stringify({ message: (error as Error).message, hint: (error as CmdaiError).hint, stack: (error as Error).stack })).not.toContain(wrongKey);
  }, 30_000);

  test('status without a key says the server refused the credentials', async () => {
    const status = await createOpenAIBackend({ endpoint: guarded.endpoint }).status();
    expect(status.available).toBe(false);
    expect(status.detail).toContain('401');
  }, 30_000);
});
