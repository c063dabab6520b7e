// vLLM's own structured-output parameter, chosen from what the server says about itself, and
// the config/flag wiring both remote backends get their options from.
import { openAIOptionsFromConfig, ollamaOptionsFromConfig } from '../../lib/backends/remote-config';
import { createOpenAIBackend, resolveOpenAIApiKey, vllmParamFor } from '../../lib/backends/openai';
import { startOpenAIFixture } from '../helpers/openai-fixture';

const SCHEMA = { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] };
const MESSAGES = [{ role: 'user' as const, content: 'list files' }];

async function chatBodyFor(fixture: Parameters<typeof startOpenAIFixture>[0], serverKind?: 'auto' | 'vllm' | 'generic') {
  const server = await startOpenAIFixture(fixture);
  try {
    const result = await createOpenAIBackend({ endpoint: `${server.url}/v1`, retries: 0, serverKind }).generate({ messages: MESSAGES, jsonSchema: SCHEMA });
    const chat = server.requests.find((r) => r.path === '/v1/chat/completions');
    return { body: chat?.body as Record<string, unknown>, result };
  } finally {
    await server.close();
  }
}

describe('structured output on OpenAI-compatible servers', () => {
  test('every server gets the standard response_format with the schema, strict', async () => {
    const { body } = await chatBodyFor({ ownedBy: 'someone' });
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'cmdai_output', schema: SCHEMA, strict: true } });
    expect(body).not.toHaveProperty('structured_outputs');
    expect(body).not.toHaveProperty('guided_json');
  }, 15_000);

  test('a current vLLM (owned_by "vllm", /version 0.11.0) also gets structured_outputs: {json: schema}', async () => {
    const { body, result } = await chatBodyFor({ ownedBy: 'vllm', version: '0.11.0' });
    expect(body.structured_outputs).toEqual({ json: SCHEMA });
    expect(body).not.toHaveProperty('guided_json');
    expect(body.response_format).toBeDefined();
    expect(result.server).toBe('vllm');
  }, 15_000);

  test('a vLLM older than 0.10.2 gets guided_json instead', async () => {
    const { body } = await chatBodyFor({ ownedBy: 'vllm', version: '0.8.5.post1' });
    expect(body.guided_json).toEqual(SCHEMA);
    expect(body).not.toHaveProperty('structured_outputs');
  }, 15_000);

  test('a vLLM whose version cannot be read gets the current parameter', async () => {
    const { body } = await chatBodyFor({ ownedBy: 'vllm' });
    expect(body.structured_outputs).toEqual({ json: SCHEMA });
  }, 15_000);

  test('serverKind "vllm" from config sends vLLM\'s parameter even when /v1/models does not say vllm', async () => {
    const { body } = await chatBodyFor({ ownedBy: 'proxy' }, 'vllm');
    expect(body.structured_outputs).toEqual({ json: SCHEMA });
  }, 15_000);

  test('serverKind "generic" never sends vLLM parameters', async () => {
    const { body } = await chatBodyFor({ ownedBy: 'vllm', version: '0.11.0' }, 'generic');
    expect(body).not.toHaveProperty('structured_outputs');
    expect(body).not.toHaveProperty('guided_json');
  }, 15_000);

  test('without a configured model, the first model the server lists is used', async () => {
    const { body, result } = await chatBodyFor({ modelId: 'Qwen/Qwen2.5-Coder-7B-Instruct' });
    expect(body.model).toBe('Qwen/Qwen2.5-Coder-7B-Instruct');
    expect(result.model).toBe('Qwen/Qwen2.5-Coder-7B-Instruct');
  }, 15_000);

  test.each([
    ['0.10.1', 'guided_json'],
    ['0.10.2', 'structured_outputs'],
    ['0.12.0', 'structured_outputs'],
    ['1.0.0', 'structured_outputs'],
    ['0.6.3.post1', 'guided_json'],
    ['v0.9.2', 'guided_json'],
  ])('vLLM %s reads %s', (version, param) => {
    expect(vllmParamFor(version)).toBe(param);
  });
});

describe('options from config and flags', () => {
  test('flags beat the [openai] table, and the key comes from the table when no flag gives one', () => {
    const options = openAIOptionsFromConfig(
      { endpoint: 'http://gpu:8000/v1', model: 'a', api_key: 'sk-file', timeout_ms: 9_000, connect_timeout_ms: 1_000, retries: 4 },
      { endpoint: 'http://127.0.0.1:9000/v1', timeoutMs: 2_000 },
      { env: {} },
    );
    expect(options).toMatchObject({ endpoint: 'http://127.0.0.1:9000/v1', model: 'a', apiKey: 'sk-file', timeoutMs: 2_000, connectTimeoutMs: 1_000, retries: 4 });
  });

  test('the API key: --api-key, then CMDAI_OPENAI_API_KEY, then [openai] api_key, then OPENAI_API_KEY', () => {
    const env = { CMDAI_OPENAI_API_KEY: 'sk-cmdai-env', OPENAI_API_KEY: 'sk-generic-env' };
    expect(resolveOpenAIApiKey({ flag: 'sk-flag', config: 'sk-file', env })).toBe('sk-flag');
    expect(resolveOpenAIApiKey({ config: 'sk-file', env })).toBe('sk-cmdai-env');
    expect(resolveOpenAIApiKey({ config: 'sk-file', env: { OPENAI_API_KEY: 'sk-generic-env' } })).toBe('sk-file');
    expect(resolveOpenAIApiKey({ env: { OPENAI_API_KEY: 'sk-generic-env' } })).toBe('sk-generic-env');
    expect(resolveOpenAIApiKey({ env: {} })).toBeUndefined();
  });

  test('[ollama] keep_alive and timeouts pass through; a bad retry count is a CONFIG error naming the key', () => {
    expect(ollamaOptionsFromConfig({ keep_alive: '10m', retries: 0 })).toMatchObject({ keepAlive: '10m', retries: 0 });
    expect(() => ollamaOptionsFromConfig({ retries: -1 })).toThrow('[ollama] retries must be a whole number (0 or more), not -1.');
    expect(() => openAIOptionsFromConfig({}, { timeoutMs: 1.5 })).toThrow('--timeout must be a whole number (1 or more), not 1.5.');
  });
});

describe('status of an OpenAI-compatible server', () => {
  test('a server still loading its model (503 on /health, as llama-server does) is reported as loading', async () => {
    const server = await startOpenAIFixture();
    try {
      server.queueFault({ kind: 'status', status: 503, body: JSON.stringify({ error: { code: 503, message: 'Loading model' } }) }, '/health');
      const status = await createOpenAIBackend({ endpoint: `${server.url}/v1` }).status();
      expect(status.available).toBe(false);
      expect(status.detail).toContain('still loading its model');
    } finally {
      await server.close();
    }
  }, 15_000);

  test('a configured model the server does not serve is reported with what it does serve', async () => {
    const server = await startOpenAIFixture({ modelId: 'Qwen/Qwen2.5-Coder-1.5B-Instruct' });
    try {
      const status = await createOpenAIBackend({ endpoint: `${server.url}/v1`, model: 'gpt-4o' }).status();
      expect(status.available).toBe(false);
      expect(status.detail).toContain('does not serve "gpt-4o" (it serves: Qwen/Qwen2.5-Coder-1.5B-Instruct)');
    } finally {
      await server.close();
    }
  }, 15_000);
});
