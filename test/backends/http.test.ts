// The remote backends' HTTP client: loopback detection, the cleartext warning, server error
// messages, and API keys kept out of everything a user or a log can see.
import { extractServerMessage, isLoopbackHost } from '../../lib/backends/http';
import { createOllamaBackend } from '../../lib/backends/ollama';
import { createOpenAIBackend } from '../../lib/backends/openai';
import { startOpenAIFixture, type OpenAIFixture } from '../helpers/openai-fixture';

describe('server error messages', () => {
  test('are read from Ollama, OpenAI and FastAPI error bodies, and from plain text or HTML', () => {
    expect(extractServerMessage('{"error":"model \\"x\\" not found, try pulling it first"}')).toBe('model "x" not found, try pulling it first');
    expect(extractServerMessage('{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}')).toBe('Invalid API Key');
    expect(extractServerMessage('{"detail":"Not Found"}')).toBe('Not Found');
    expect(extractServerMessage('<html><body><h1>502 Bad Gateway</h1></body></html>')).toBe('502 Bad Gateway');
    expect(extractServerMessage('')).toBe('');
  });
});

describe('cleartext HTTP', () => {
  test.each(['127.0.0.1', '127.8.9.10', 'localhost', 'api.localhost', '[::1]'])('%s is loopback', (host) => {
    expect(isLoopbackHost(new URL(`http://${host}:1/`).hostname)).toBe(true);
  });

  test.each(['10.0.0.5', '192.168.1.20', 'gpu-box.lan', 'example.com', '[fe80::1]'])('%s is not loopback', (host) => {
    expect(isLoopbackHost(new URL(`http://${host}:1/`).hostname)).toBe(false);
  });

  test('an http:// endpoint on another machine gets one warning, which mentions the API key when there is one', () => {
    const warnings: string[] = [];
    createOpenAIBackend({ endpoint: 'http://10.0.0.5:8000/v1', apiKey: 'sk-secret-123456', onWarning: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http://10.0.0.5:8000/v1 uses cleartext http://');
    expect(warnings[0]).toContain('including your API key');
    expect(warnings[0]).not.toContain('sk-secret-123456');
  });

  test('loopback http:// and any https:// endpoint get no warning', () => {
    const warnings: string[] = [];
    createOllamaBackend({ endpoint: 'http://127.0.0.1:11434', onWarning: (w) => warnings.push(w) });
    createOllamaBackend({ endpoint: 'http://localhost:11434', onWarning: (w) => warnings.push(w) });
    createOpenAIBackend({ endpoint: 'https://llm.example.com/v1', onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });
});

describe('API keys', () => {
  const KEY = 'sk-live-9a8b7c6d5e4f3210';
  let server: OpenAIFixture;

  beforeAll(async () => {
    server = await startOpenAIFixture({ apiKey: KEY, ownedBy: 'vllm' });
  });

  afterAll(async () => {
    await server?.close();
  });

  test('the key travels only as a Bearer header', async () => {
    const since = server.requests.length;
    await createOpenAIBackend({ endpoint: `${server.url}/v1`, apiKey: KEY }).generate({ messages: [{ role: 'user', content: 'hi' }] });
    const sent = server.requests.slice(since);
    expect(sent.length).toBeGreaterThan(0);
    for (const request of sent.filter((r) => r.path.startsWith('/v1/'))) {
      expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(JSON.stringify(request.body ?? '')).not.toContain(KEY);
    }
  }, 15_000);

  test('results and status, as JSON, never contain the key', async () => {
    const backend = createOpenAIBackend({ endpoint: `${server.url}/v1`, apiKey: KEY });
    const result = await backend.generate({ messages: [{ role: 'user', content: 'hi' }], onToken: () => {} });
    const status = await backend.status();
    expect(status.available).toBe(true);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(JSON.stringify(status)).not.toContain(KEY);
    expect(JSON.stringify(backend)).not.toContain(KEY);
  }, 15_000);

  test('a key the server echoes back in its error is replaced by *** in message, hint and stack', async () => {
    const wrong = 'sk-typo-0000111122223333';
    const error = (await createOpenAIBackend({ endpoint: `${server.url}/v1`, apiKey: wrong })
      .generate({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as Error & { hint?: string };
    expect(error.message).toContain('Incorrect API key provided: ***');
    for (const text of [error.message, error.hint ?? '', error.stack ?? '', JSON.stringify(error)]) expect(text).not.toContain(wrong);
  }, 15_000);

  test('credentials written into the endpoint URL are not shown either', async () => {
    const warnings: string[] = [];
    const backend = createOpenAIBackend({ endpoint: 'http://admin:hunter2secret@10.1.2.3:8000/v1', onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).not.toContain('hunter2secret');
    expect(warnings.join('\n')).toContain('http://10.1.2.3:8000/v1');
    expect(JSON.stringify(backend)).not.toContain('hunter2secret');
  });
});
