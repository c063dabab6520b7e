// Must show 2: on the same float32 random weights, the MLX engine (MLX folder) and the llama.cpp
// engine (GGUF twin) pick the same 16 greedy tokens for the same prompt.
import { loadModel } from '../../lib/engine';
import { loadMlxModel } from '../../lib/engine/mlx';
import type { Model } from '../../lib/engine/types';
import { describeWithMlx, mlxFixtures } from './mlx-fixtures';

const STEPS = 16;

const PROMPTS: Record<string, string> = {
  'a single word': 'hello',
  'an English request': 'find all files larger than 100MB in my home directory',
  'non-ASCII text and an emoji': 'Grüße aus Köln — 東京 🦙',
  'a shell one-liner': 'for f in *.log; do gzip "$f"; done',
  'a ChatML conversation with special tokens':
    '<|im_start|>system\nYou translate requests into shell commands.<|im_end|>\n' +
    '<|im_start|>user\nshow disk usage<|im_end|>\n<|im_start|>assistant\n',
};

describeWithMlx('MLX and llama.cpp on the same weights', () => {
  let mlx: Model;
  let llama: Model;

  beforeAll(async () => {
    const fixtures = mlxFixtures();
    mlx = await loadMlxModel(fixtures.dir, { contextSize: 512 });
    llama = await loadModel(fixtures.gguf, { contextSize: 512, threads: 2 });
  });

  afterAll(async () => {
    await mlx?.dispose();
    await llama?.dispose();
  });

  test('report the same architecture and vocabulary size', () => {
    expect(mlx.info.architecture).toBe(llama.info.architecture);
    expect(mlx.info.vocabSize).toBe(llama.info.vocabSize);
  });

  test('render the same chat template text', () => {
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'list files' },
    ];
    expect(mlx.applyChatTemplate(messages)).toBe(llama.applyChatTemplate(messages));
  });

  test('a prompt sharing its start with the previous one reuses that state and still matches llama.cpp', async () => {
    const system = { role: 'system' as const, content: 'You translate requests into shell commands.' };
    const first = mlx.applyChatTemplate([system, { role: 'user', content: 'show disk usage' }]);
    const second = mlx.applyChatTemplate([system, { role: 'user', content: 'count lines in all log files' }]);
    await mlx.complete(first, { maxTokens: 4, temperature: 0 });
    const reused = await mlx.complete(second, { maxTokens: STEPS, temperature: 0 });
    const reference = await llama.complete(second, { maxTokens: STEPS, temperature: 0 });
    const shared = mlx.applyChatTemplate([system, { role: 'user', content: '' }], { addAssistant: false }).split('<|im_end|>\n<|im_start|>user')[0];
    expect(reused.timings.cachedTokens).toBeGreaterThanOrEqual(mlx.tokenize(shared).length);
    expect(reused.tokens).toEqual(reference.tokens);
  });

  test('a prompt computed in many chunks, past the KV cache\'s first 256 slots, still matches llama.cpp', async () => {
    // 37-token chunks do not divide 256, so one chunk straddles the point where the cache grows.
    const chunked = await loadMlxModel(mlxFixtures().dir, { contextSize: 512, batchSize: 37 });
    try {
      const prompt = 'list every file under /var/log that changed in the last day, then compress it; '.repeat(20);
      const tokens = chunked.tokenize(prompt).length;
      expect(tokens).toBeGreaterThan(256 + 37);
      const fromMlx = await chunked.complete(prompt, { maxTokens: STEPS, temperature: 0 });
      const fromLlama = await llama.complete(prompt, { maxTokens: STEPS, temperature: 0 });
      expect(fromMlx.tokens).toEqual(fromLlama.tokens);
    } finally {
      await chunked.dispose();
    }
  });

  describe.each(Object.entries(PROMPTS))('for %s', (_name, prompt) => {
    test('both tokenize the prompt to the same ids', () => {
      expect(mlx.tokenize(prompt)).toEqual(llama.tokenize(prompt));
    });

    test(`both pick the same ${STEPS} greedy tokens`, async () => {
      const fromMlx = await mlx.complete(prompt, { maxTokens: STEPS, temperature: 0 });
      const fromLlama = await llama.complete(prompt, { maxTokens: STEPS, temperature: 0 });
      expect(fromLlama.tokens).toHaveLength(STEPS);
      expect(fromMlx.tokens).toEqual(fromLlama.tokens);
      expect(fromMlx.text).toBe(fromLlama.text);
    });
  });
});
