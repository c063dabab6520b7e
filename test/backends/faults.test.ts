// Faults and their expected outcomes. The backend that answers after a fallback is real: the
// OpenAI-compatible backend on llama-server (or the Ollama fixture when llama-server is the one
// that dies). Failing servers are real HTTP servers on 127.0.0.1 playing scripted faults.
import { createFallbackChain, type FallbackEvent } from '../../lib/backends/chain';
import { createOllamaBackend } from '../../lib/backends/ollama';
import { createOpenAIBackend } from '../../lib/backends/openai';
import type { GenerateResult, InferenceBackend } from '../../lib/backends/types';
import { BackendUnavailableError, CmdaiError } from '../../lib/errors';
import { freePort, startLlamaServer, type LlamaServer } from '../helpers/llama-server';
import { DEFAULT_OLLAMA_REPLY, startOllamaFixture, type OllamaFixture } from '../helpers/ollama-fixture';
import { DEFAULT_OPENAI_REPLY, startOpenAIFixture, type OpenAIFixture } from '../helpers/openai-fixture';

const MODEL = 'qwen2.5-coder:1.5b';
const MESSAGES = [{ role: 'user' as const, content: 'list files' }];

let llama: LlamaServer;
let ollama: OllamaFixture;
let openai: OpenAIFixture;

beforeAll(async () => {
  [llama, ollama, openai] = await Promise.all([startLlamaServer(), startOllamaFixture({ models: [MODEL] }), startOpenAIFixture()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([llama?.stop(), ollama?.close(), openai?.close()]);
}, 15_000);

/** The healthy backend fallbacks land on: real llama-server. */
function llamaBackend(): InferenceBackend {
  return createOpenAIBackend({ endpoint: llama.endpoint, retries: 0, timeoutMs: 30_000 });
}

function ollamaBackend(options: Parameters<typeof createOllamaBackend>[0] = {}): InferenceBackend {
  return createOllamaBackend({ endpoint: ollama.url, model: MODEL, retries: 0, retryBaseDelayMs: 20, timeoutMs: 5_000, ...options });
}

function chatRequests(server: OllamaFixture | OpenAIFixture, path: string, since: number) {
  return server.requests.slice(since).filter((r) => r.path === path);
}

function chainWithEvents(backends: InferenceBackend[]) {
  const events: FallbackEvent[] = [];
  return { chain: createFallbackChain(backends, { onFallback: (e) => events.push(e) }), events };
}

describe('connection refused', () => {
  test('the chain falls back to the next backend, says so, and the result names the backend that answered', async () => {
    const port = await freePort();
    const { chain, events } = chainWithEvents([
      createOllamaBackend({ endpoint: `http://127.0.0.1:${port}`, model: MODEL, retries: 1, retryBaseDelayMs: 20 }),
      llamaBackend(),
    ]);
    const result = await chain.generate({ messages: MESSAGES, maxTokens: 4 });
    expect(result.backend).toBe('openai');
    expect(result.server).toBe('llama.cpp');
    expect(result.timings.generatedTokens).toBe(4);
    expect(result.fallbacks).toEqual([{ backend: 'ollama', reason: expect.stringMatching(/connection refused.*gave up after 2 attempts/) }]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: 'ollama', to: 'openai', partialOutputDiscarded: false });
    expect(events[0].error).toBeInstanceOf(BackendUnavailableError);
  }, 30_000);

  test('without an onFallback callback the note goes to stderr', async () => {
    const port = await freePort();
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const chain = createFallbackChain([createOllamaBackend({ endpoint: `http://127.0.0.1:${port}`, model: MODEL, retries: 0 }), llamaBackend()]);
      await chain.generate({ messages: MESSAGES, maxTokens: 2 });
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/^cmdai: ollama could not answer: Cannot reach ollama .*connection refused\. Using openai instead\.\n$/);
  }, 30_000);

  test('when every backend is unreachable the error lists each one and why', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const chain = createFallbackChain(
      [
        createOllamaBackend({ endpoint: `http://127.0.0.1:${a}`, model: MODEL, retries: 0 }),
        createOpenAIBackend({ endpoint: `http://127.0.0.1:${b}/v1`, retries: 0 }),
      ],
      { onFallback: () => {} },
    );
    const error = await chain.generate({ messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/^No backend could answer: ollama \(Cannot reach ollama .*\); openai \(Cannot reach openai .*\)\.$/);
  }, 30_000);
});

describe('server gone mid-stream', () => {
  test('llama-server killed after the first token: the chain falls back and the partial answer is flagged as discarded', async () => {
    const doomed = await startLlamaServer();
    try {
      const tokens: string[] = [];
      const { chain, events } = chainWithEvents([createOpenAIBackend({ endpoint: doomed.endpoint, retries: 2, retryBaseDelayMs: 20 }), ollamaBackend()]);
      let killed = false;
      const result = await chain.generate({
        messages: MESSAGES,
        maxTokens: 400,
        onToken: (piece) => {
          tokens.push(piece);
          if (!killed) {
            killed = true;
            doomed.child.kill('SIGKILL');
          }
        },
      });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ from: 'openai', to: 'ollama', partialOutputDiscarded: true });
      expect(events[0].reason).toMatch(/characters of the answer had arrived|closed the stream before the answer was complete/);
      // The answer is the fallback's, whole; the dead server's first piece is not part of it.
      expect(result.backend).toBe('ollama');
      expect(result.text).toBe(DEFAULT_OLLAMA_REPLY);
      expect(tokens.join('').endsWith(DEFAULT_OLLAMA_REPLY)).toBe(true);
    } finally {
      await doomed.stop();
    }
  }, 60_000);

  test('on its own, a backend that loses the connection after output is unavailable, and is not retried', async () => {
    const since = ollama.requests.length;
    ollama.queueFault({ kind: 'die-after', chunks: 3 }, '/api/chat');
    const tokens: string[] = [];
    const error = await ollamaBackend({ retries: 3 })
      .generate({ messages: MESSAGES, onToken: (p) => tokens.push(p) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/after 12 characters of the answer had arrived/);
    expect(tokens).toHaveLength(3);
    expect(chatRequests(ollama, '/api/chat', since)).toHaveLength(1);
  }, 30_000);

  test('a server gone before any output: the chain falls back with nothing to discard', async () => {
    ollama.queueFault({ kind: 'die-after', chunks: 0 }, '/api/chat');
    const { chain, events } = chainWithEvents([ollamaBackend({ retries: 0 }), llamaBackend()]);
    const result = await chain.generate({ messages: MESSAGES, maxTokens: 3, onToken: () => {} });
    expect(result.backend).toBe('openai');
    expect(events[0]).toMatchObject({ from: 'ollama', to: 'openai', partialOutputDiscarded: false });
  }, 30_000);

  test('a connection dropped before any output is retried on the same backend', async () => {
    const since = ollama.requests.length;
    ollama.queueFault({ kind: 'die-after', chunks: 0 }, '/api/chat');
    const tokens: string[] = [];
    const result = await ollamaBackend({ retries: 1 }).generate({ messages: MESSAGES, onToken: (p) => tokens.push(p) });
    expect(result.text).toBe(DEFAULT_OLLAMA_REPLY);
    expect(tokens.join('')).toBe(DEFAULT_OLLAMA_REPLY);
    expect(chatRequests(ollama, '/api/chat', since)).toHaveLength(2);
  }, 30_000);
});

describe('slow server', () => {
  test('no response within the timeout: unavailable at once (not retried), then the next backend answers', async () => {
    const since = ollama.requests.length;
    ollama.queueFault({ kind: 'hang' }, '/api/chat');
    const { chain, events } = chainWithEvents([ollamaBackend({ timeoutMs: 500, retries: 3 }), llamaBackend()]);
    const result = await chain.generate({ messages: MESSAGES, maxTokens: 3 });
    expect(result.backend).toBe('openai');
    expect(events[0]).toMatchObject({ from: 'ollama', to: 'openai' });
    expect(events[0].reason).toMatch(/sent nothing for 500 ms \(timeout\)/);
    expect(chatRequests(ollama, '/api/chat', since)).toHaveLength(1);
  }, 30_000);

  test('a stream that goes silent for longer than the timeout is cut and counts as unavailable', async () => {
    const stalling = await startOpenAIFixture({ chunkDelayMs: 1_500 });
    try {
      const error = await createOpenAIBackend({ endpoint: `${stalling.url}/v1`, retries: 0, timeoutMs: 400 })
        .generate({ messages: MESSAGES, onToken: () => {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect((error as Error).message).toMatch(/sent nothing for 400 ms \(timeout\)/);
    } finally {
      await stalling.close();
    }
  }, 30_000);
});

describe('server errors and rate limits', () => {
  test('a 500 is retried and the same backend answers the second time', async () => {
    const since = ollama.requests.length;
    ollama.queueFault({ kind: 'status', status: 500, body: JSON.stringify({ error: 'llama runner process has terminated' }) }, '/api/chat');
    const { chain, events } = chainWithEvents([ollamaBackend({ retries: 2 }), llamaBackend()]);
    const result = await chain.generate({ messages: MESSAGES });
    expect(result.backend).toBe('ollama');
    expect(result.text).toBe(DEFAULT_OLLAMA_REPLY);
    expect(events).toHaveLength(0);
    expect(chatRequests(ollama, '/api/chat', since)).toHaveLength(2);
  }, 30_000);

  test('a 502 from an OpenAI-compatible server is retried too', async () => {
    const since = openai.requests.length;
    openai.queueFault({ kind: 'status', status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } }, '/v1/chat/completions');
    const result = await createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 1, retryBaseDelayMs: 20 }).generate({ messages: MESSAGES });
    expect(result.text).toBe(DEFAULT_OPENAI_REPLY);
    expect(chatRequests(openai, '/v1/chat/completions', since)).toHaveLength(2);
  }, 30_000);

  test('5xx on every attempt: unavailable after the retries, naming the status and the attempts', async () => {
    for (let i = 0; i < 3; i++) ollama.queueFault({ kind: 'status', status: 503, body: JSON.stringify({ error: 'server busy' }) }, '/api/chat');
    const error = await ollamaBackend({ retries: 2 }).generate({ messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toBe(`ollama at ${ollama.url} had a server error (503): server busy (gave up after 3 attempts).`);
  }, 30_000);

  test('429 with Retry-After: 1 waits at least one second before the retry, then succeeds', async () => {
    const since = openai.requests.length;
    openai.queueFault(
      { kind: 'status', status: 429, body: JSON.stringify({ error: { message: 'Rate limit reached' } }), headers: { 'retry-after': '1' } },
      '/v1/chat/completions',
    );
    const result = await createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 2, retryBaseDelayMs: 10 }).generate({ messages: MESSAGES });
    expect(result.text).toBe(DEFAULT_OPENAI_REPLY);
    const chats = chatRequests(openai, '/v1/chat/completions', since);
    expect(chats).toHaveLength(2);
    expect(chats[1].at - chats[0].at).toBeGreaterThanOrEqual(1_000);
  }, 30_000);

  test('a Retry-After longer than cmdai waits is not waited for: unavailable at once, so the chain moves on', async () => {
    const since = openai.requests.length;
    openai.queueFault({ kind: 'status', status: 429, body: '{}', headers: { 'retry-after': '120' } }, '/v1/chat/completions');
    const { chain, events } = chainWithEvents([
      createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 2, maxRetryAfterMs: 5_000 }),
      ollamaBackend(),
    ]);
    const result = await chain.generate({ messages: MESSAGES });
    expect(result.backend).toBe('ollama');
    expect(events[0].reason).toMatch(/rate limiting requests \(429\).*asks to wait 120 s/);
    expect(chatRequests(openai, '/v1/chat/completions', since)).toHaveLength(1);
  }, 30_000);

  test('aborting while waiting to retry returns at once with stopReason abort', async () => {
    openai.queueFault({ kind: 'status', status: 429, body: '{}', headers: { 'retry-after': '20' } }, '/v1/chat/completions');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const result: GenerateResult = await createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 2 }).generate({
      messages: MESSAGES,
      signal: controller.signal,
    });
    expect(result.stopReason).toBe('abort');
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 30_000);
});

describe('errors that are not fallbacks', () => {
  test('401: an authentication error, not retried, and the next backend is never asked', async () => {
    const guarded = await startOpenAIFixture({ apiKey: 'sk-right-000000' });
    const wrongKey = 'sk-wrong-1234567890';
    const next = { name: 'spare', generate: jest.fn(), status: jest.fn(), dispose: jest.fn() };
    try {
      const { chain, events } = chainWithEvents([
        createOpenAIBackend({ endpoint: `${guarded.url}/v1`, apiKey: wrongKey, retries: 3, model: 'm' }),
        next as unknown as InferenceBackend,
      ]);
      const error = await chain.generate({ messages: MESSAGES }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CmdaiError);
      expect(error).not.toBeInstanceOf(BackendUnavailableError);
      expect(error).toMatchObject({ code: 'BACKEND_AUTH' });
      expect(events).toHaveLength(0);
      expect(next.generate).not.toHaveBeenCalled();
      expect(guarded.requests.filter((r) => r.path.startsWith('/v1/'))).toHaveLength(1);
      // The server echoed the key back; cmdai's message does not.
      expect((error as Error).message).toContain('Incorrect API key provided: ***');
      expect((error as Error).message).not.toContain(wrongKey);
    } finally {
      await guarded.close();
    }
  }, 30_000);

  test('a malformed JSON body is a clear protocol error showing what arrived, and no fallback', async () => {
    ollama.queueFault({ kind: 'malformed', body: '<html><body>Welcome to nginx!</body></html>' }, '/api/chat');
    const { chain, events } = chainWithEvents([ollamaBackend(), llamaBackend()]);
    const error = await chain.generate({ messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_PROTOCOL' });
    expect((error as Error).message).toBe(
      `ollama at ${ollama.url} sent a response that is not valid JSON: "<html><body>Welcome to nginx!</body></html>".`,
    );
    expect((error as CmdaiError).hint).toContain('is really a ollama server');
    expect(events).toHaveLength(0);
  }, 30_000);

  test('a malformed event in an SSE stream is the same clear protocol error', async () => {
    openai.queueFault({ kind: 'raw-after', chunks: 2, text: 'data: {"choices": [{"delta": {"content": "l\n\n' }, '/v1/chat/completions');
    const error = await createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 2 })
      .generate({ messages: MESSAGES, onToken: () => {} })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_PROTOCOL' });
    expect((error as Error).message).toBe(`openai at ${openai.url}/v1 sent a stream event that is not valid JSON: "{\\"choices\\": [{\\"delta\\": {\\"content\\": \\"l".`);
  }, 30_000);

  test('an error event inside an SSE stream is a generation error carrying the server\'s message', async () => {
    openai.queueFault({ kind: 'stream-error', chunks: 2, message: 'context size exceeded' }, '/v1/chat/completions');
    const error = await createOpenAIBackend({ endpoint: `${openai.url}/v1`, retries: 2 })
      .generate({ messages: MESSAGES, onToken: () => {} })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GENERATION' });
    expect((error as Error).message).toContain('context size exceeded');
  }, 30_000);
});
