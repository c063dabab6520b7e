// The issue's own example: Ollama first, the embedded llama.cpp engine as the fallback. Ollama
// is not running (connection refused), so the in-process engine answers with the tiny model.
import { createFallbackChain, type FallbackEvent } from '../../lib/backends/chain';
import { createEmbeddedBackend } from '../../lib/backends/embedded';
import { createOllamaBackend } from '../../lib/backends/ollama';
import { CmdaiError } from '../../lib/errors';
import { freePort, TINY_MODEL } from '../helpers/llama-server';

const SCHEMA = {
  type: 'object',
  properties: { command: { type: 'string', maxLength: 12 } },
  required: ['command'],
  additionalProperties: false,
};

test('connection refused: the embedded engine answers, the result names it, and the fallback is announced', async () => {
  const port = await freePort();
  const events: FallbackEvent[] = [];
  const embedded = createEmbeddedBackend({ resolveModelPath: async () => TINY_MODEL, contextSize: 1024, threads: 1 });
  const chain = createFallbackChain(
    [createOllamaBackend({ endpoint: `http://127.0.0.1:${port}`, retries: 1, retryBaseDelayMs: 20 }), embedded],
    { onFallback: (e) => events.push(e) },
  );
  try {
    const result = await chain.generate({
      messages: [{ role: 'user', content: 'list files' }],
      jsonSchema: SCHEMA,
      maxTokens: 64,
      temperature: 0,
    });
    expect(result.backend).toBe(embedded.name);
    expect(result.backend).not.toBe('ollama');
    expect(JSON.parse(result.text)).toEqual({ command: expect.any(String) });
    expect(result.fallbacks).toEqual([{ backend: 'ollama', reason: expect.stringMatching(/connection refused/) }]);
    expect(events.map((e) => [e.from, e.to])).toEqual([['ollama', embedded.name]]);
  } finally {
    await chain.dispose();
  }
}, 60_000);

test('when the embedded fallback has no model, its own MODEL_MISSING error (with its hint) comes out', async () => {
  const port = await freePort();
  const chain = createFallbackChain(
    [
      createOllamaBackend({ endpoint: `http://127.0.0.1:${port}`, retries: 0 }),
      createEmbeddedBackend({
        resolveModelPath: async () => {
          throw new CmdaiError('MODEL_MISSING', 'Model file not found: /nowhere/model.gguf');
        },
      }),
    ],
    { onFallback: () => {} },
  );
  const error = await chain.generate({ messages: [{ role: 'user', content: 'list files' }] }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'MODEL_MISSING' });
  await chain.dispose();
}, 30_000);
