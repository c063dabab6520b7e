// The Ollama backend against a server speaking Ollama's documented wire format.
import { createOllamaBackend } from '../../lib/backends/ollama';
import { CmdaiError } from '../../lib/errors';
import { freePort } from '../helpers/llama-server';
import { DEFAULT_OLLAMA_REPLY, startOllamaFixture, type OllamaFixture } from '../helpers/ollama-fixture';

const MODEL = 'qwen2.5-coder:1.5b';
const SCHEMA = {
  type: 'object',
  properties: { command: { type: 'string' }, explanation: { type: 'string' } },
  required: ['command', 'explanation'],
};
const MESSAGES = [
  { role: 'system' as const, content: 'You turn requests into shell commands.' },
  { role: 'user' as const, content: 'list files' },
];

let ollama: OllamaFixture;

beforeAll(async () => {
  ollama = await startOllamaFixture({ models: [MODEL, 'llama3.2:latest'] });
});

afterAll(async () => {
  await ollama?.close();
});

function backend(options: Parameters<typeof createOllamaBackend>[0] = {}) {
  return createOllamaBackend({ endpoint: ollama.url, model: MODEL, retries: 0, timeoutMs: 5_000, ...options });
}

function lastChatBody(): Record<string, unknown> {
  const chats = ollama.requests.filter((r) => r.path === '/api/chat');
  return chats[chats.length - 1].body as Record<string, unknown>;
}

describe('Ollama backend', () => {
  test('a non-streamed answer comes back whole, with Ollama timings converted from nanoseconds', async () => {
    const result = await backend().generate({ messages: MESSAGES, jsonSchema: SCHEMA });
    expect(result.text).toBe(DEFAULT_OLLAMA_REPLY);
    expect(JSON.parse(result.text)).toEqual({ command: 'ls -la', explanation: 'List all files, with details.' });
    expect(result).toMatchObject({ backend: 'ollama', model: MODEL, stopReason: 'eos', endpoint: ollama.url, server: 'ollama' });
    expect(result.timings).toMatchObject({ loadMs: 574.751416, promptTokens: 34, promptMs: 1502 });
    expect(result.timings.totalMs).toBeGreaterThan(0);
  }, 15_000);

  test('the request carries the schema as `format`, the sampling options in Ollama names, and stream false', async () => {
    await backend({ keepAlive: '10m' }).generate({
      messages: MESSAGES,
      jsonSchema: SCHEMA,
      temperature: 0,
      topK: 40,
      topP: 0.9,
      minP: 0.05,
      seed: 7,
      maxTokens: 128,
      stop: ['\n\n'],
    });
    expect(lastChatBody()).toEqual({
      model: MODEL,
      messages: MESSAGES,
      stream: false,
      format: SCHEMA,
      keep_alive: '10m',
      options: { temperature: 0, top_k: 40, top_p: 0.9, min_p: 0.05, seed: 7, num_predict: 128, stop: ['\n\n'] },
    });
  }, 15_000);

  test('keep_alive given as a number of seconds is sent as a JSON number, as Ollama reads seconds', async () => {
    await backend({ keepAlive: '300' }).generate({ messages: MESSAGES });
    expect(lastChatBody().keep_alive).toBe(300);
  }, 15_000);

  test('streaming delivers the NDJSON pieces through onToken in order and they add up to the text', async () => {
    const tokens: string[] = [];
    const result = await backend().generate({ messages: MESSAGES, jsonSchema: SCHEMA, onToken: (p) => tokens.push(p) });
    expect(lastChatBody().stream).toBe(true);
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe(DEFAULT_OLLAMA_REPLY);
    expect(result.text).toBe(DEFAULT_OLLAMA_REPLY);
    expect(result.timings.generatedTokens).toBe(tokens.length);
    expect(result.timings.timeToFirstTokenMs).toBeLessThanOrEqual(result.timings.totalMs);
  }, 15_000);

  test('a model Ollama does not have is a MODEL_MISSING error that says to run ollama pull, not retried', async () => {
    const before = ollama.requests.length;
    const error = await backend({ model: 'qwen3:999b', retries: 3 })
      .generate({ messages: MESSAGES })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CmdaiError);
    expect(error).toMatchObject({ code: 'MODEL_MISSING' });
    expect((error as CmdaiError).message).toContain('qwen3:999b');
    expect((error as CmdaiError).hint).toContain('ollama pull qwen3:999b');
    expect(ollama.requests.length - before).toBe(1);
  }, 15_000);

  test('a 403 from a proxy in front of Ollama is an authentication error, not retried', async () => {
    ollama.queueFault({ kind: 'status', status: 403, body: JSON.stringify({ error: 'forbidden' }) }, '/api/chat');
    const before = ollama.requests.length;
    const error = await backend({ retries: 3 })
      .generate({ messages: MESSAGES })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_AUTH' });
    expect((error as Error).message).toBe(`ollama at ${ollama.url} refused the credentials (403 Forbidden): forbidden.`);
    expect(ollama.requests.length - before).toBe(1);
  }, 15_000);

  test('an error object in the middle of the stream is a GENERATION error carrying Ollama\'s message', async () => {
    ollama.queueFault({ kind: 'stream-error', chunks: 3, message: 'an error was encountered while running the model' }, '/api/chat');
    const tokens: string[] = [];
    const error = await backend()
      .generate({ messages: MESSAGES, onToken: (p) => tokens.push(p) })
      .catch((e: unknown) => e);
    expect(tokens).toHaveLength(3);
    expect(error).toMatchObject({ code: 'GENERATION' });
    expect((error as Error).message).toContain('an error was encountered while running the model');
  }, 15_000);

  test('a 400 from Ollama is a protocol error with the server\'s words, not retried', async () => {
    ollama.queueFault({ kind: 'status', status: 400, body: JSON.stringify({ error: 'invalid format: expected "json" or a JSON schema' }) }, '/api/chat');
    const before = ollama.requests.length;
    const error = await backend({ retries: 3 })
      .generate({ messages: MESSAGES })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_PROTOCOL' });
    expect((error as Error).message).toContain('invalid format');
    expect(ollama.requests.length - before).toBe(1);
  }, 15_000);

  test('aborting mid-stream stops at once and returns the partial text with stopReason abort', async () => {
    const slow = await startOllamaFixture({ models: [MODEL], chunkDelayMs: 200 });
    try {
      const controller = new AbortController();
      const tokens: string[] = [];
      const result = await createOllamaBackend({ endpoint: slow.url, model: MODEL, retries: 0 }).generate({
        messages: MESSAGES,
        signal: controller.signal,
        onToken: (piece) => {
          tokens.push(piece);
          if (tokens.length === 2) controller.abort();
        },
      });
      expect(result.stopReason).toBe('abort');
      expect(result.text).toBe(tokens.join(''));
      expect(result.text.length).toBeLessThan(DEFAULT_OLLAMA_REPLY.length);
    } finally {
      await slow.close();
    }
  }, 15_000);

  test('status reports the server version and that the configured model is installed', async () => {
    const status = await backend().status();
    expect(status).toMatchObject({ backend: 'ollama', available: true, model: MODEL, endpoint: ollama.url });
    expect(status.detail).toContain('0.6.5');
    expect(status.detail).toContain(MODEL);
  }, 15_000);

  test('status treats "llama3.2" and "llama3.2:latest" as the same model', async () => {
    const status = await backend({ model: 'llama3.2' }).status();
    expect(status.available).toBe(true);
  }, 15_000);

  test('status says a missing model is missing and how to pull it', async () => {
    const status = await backend({ model: 'mistral:7b' }).status();
    expect(status.available).toBe(false);
    expect(status.detail).toContain('ollama pull mistral:7b');
  }, 15_000);

  test('status of a server that is not running says it cannot be reached and how to start it', async () => {
    const port = await freePort();
    const status = await createOllamaBackend({ endpoint: `http://127.0.0.1:${port}`, model: MODEL }).status();
    expect(status.available).toBe(false);
    expect(status.detail).toMatch(/connection refused/);
    expect(status.detail).toContain('ollama serve');
  }, 15_000);

  test('an endpoint that is not a URL is a CONFIG error naming it', () => {
    expect(() => createOllamaBackend({ endpoint: 'localhost11434' })).toThrow(/not a URL/);
    expect(() => createOllamaBackend({ endpoint: 'ftp://127.0.0.1:11434' })).toThrow(/http:\/\/ or https:\/\//);
  });
});
