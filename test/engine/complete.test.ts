// complete(): streaming, abort, stop strings, grammars, queueing and prompt-prefix reuse, on the
// tiny random-weight Qwen2 model (meaningless text, real llama.cpp work).

import fs from 'node:fs';
import path from 'node:path';

import Ajv from 'ajv';

import { loadModel } from '../../lib/engine';
import type { Model } from '../../lib/engine/types';
import { tempDir, tinyModel } from './engine-fixtures';

let model: Model;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  model = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
});

afterAll(async () => {
  await model?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const greedy = { temperature: 0 } as const;

describe('greedy completion', () => {
  test('is deterministic', async () => {
    const first = await model.complete('The quick brown fox', { ...greedy, maxTokens: 16 });
    const second = await model.complete('The quick brown fox', { ...greedy, maxTokens: 16 });
    expect(second.tokens).toEqual(first.tokens);
    expect(second.text).toBe(first.text);
  });

  test('stops at maxTokens with stopReason "length"', async () => {
    const completion = await model.complete('Once upon a time', { ...greedy, maxTokens: 5 });
    // Random weights might pick end-of-generation early; anything else must be exactly 5 tokens.
    if (completion.stopReason !== 'eos') {
      expect(completion.stopReason).toBe('length');
      expect(completion.tokens).toHaveLength(5);
    }
    expect(completion.timings.generatedTokens).toBe(completion.tokens.length);
  });

  test('reports timings', async () => {
    const { timings } = await model.complete('Report the timings', { ...greedy, maxTokens: 4 });
    expect(timings.loadMs).toBeGreaterThan(0);
    expect(timings.promptTokens).toBe(model.tokenize('Report the timings').length);
    expect(timings.promptMs).toBeGreaterThan(0);
    expect(timings.timeToFirstTokenMs).toBeGreaterThanOrEqual(timings.promptMs);
    expect(timings.generationMs).toBeGreaterThanOrEqual(0);
  });

  test('with a seed, sampling at temperature > 0 is reproducible', async () => {
    const opts = { temperature: 1.0, topK: 50, topP: 0.9, minP: 0.01, repeatPenalty: 1.1, seed: 42, maxTokens: 12 };
    const first = await model.complete('Sampling test', opts);
    const second = await model.complete('Sampling test', opts);
    expect(second.tokens).toEqual(first.tokens);
  });
});

describe('streaming', () => {
  test('onToken receives pieces that add up to the text, before complete() resolves', async () => {
    const pieces: string[] = [];
    let resolved = false;
    const pending = model.complete('Stream this', {
      ...greedy,
      maxTokens: 20,
      onToken: (piece) => {
        expect(resolved).toBe(false);
        pieces.push(piece);
      },
    });
    const completion = await pending.finally(() => {
      resolved = true;
    });
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(completion.text);
  });

  test.each(['Hello my name is', 'Grüße aus Köln — 東京 🦙', '<|im_start|>user\n写一个命令<|im_end|>\n', 'emoji: 🦙🐪🐫'])(
    'pieces for %p never split a UTF-8 character (their concatenation equals the text)',
    async (prompt) => {
      const pieces: string[] = [];
      const completion = await model.complete(prompt, { ...greedy, maxTokens: 64, onToken: (p) => pieces.push(p) });
      expect(pieces.join('')).toBe(completion.text);
    },
  );

  test('a throwing onToken ends the completion and becomes its rejection', async () => {
    const failure = new Error('listener failed');
    await expect(
      model.complete('Throw from the listener', {
        ...greedy,
        maxTokens: 50,
        onToken: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });
});

describe('abort', () => {
  test('aborting mid-generation resolves with stopReason "abort" and the text so far', async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const completion = await model.complete('Abort me after the first piece', {
      ...greedy,
      maxTokens: 500,
      signal: controller.signal,
      onToken: (piece) => {
        pieces.push(piece);
        controller.abort();
      },
    });
    expect(completion.stopReason).toBe('abort');
    expect(completion.tokens.length).toBeLessThan(500);
    expect(completion.text).toBe(pieces.join(''));
  });

  test('the model completes normally after an abort', async () => {
    const completion = await model.complete('After the abort', { ...greedy, maxTokens: 3 });
    expect(['length', 'eos']).toContain(completion.stopReason);
  });
});

describe('abort during the prompt', () => {
  test('aborting while a long prompt is evaluated leaves the cache consistent: the same prompt then gives the output of a fresh model', async () => {
    const longPrompt = Array.from({ length: 700 }, (_, i) => `item${i}`).join(' ');
    const options = { temperature: 0, maxTokens: 8 } as const;
    const small = await loadModel(tinyModel(), { contextSize: 4096, batchSize: 32, threads: 1 });
    const fresh = await loadModel(tinyModel(), { contextSize: 4096, batchSize: 32, threads: 1 });
    try {
      expect(small.tokenize(longPrompt).length).toBeGreaterThan(1500);
      // Evaluating ~2700 prompt tokens in batches of 32 takes seconds on one thread, so the abort
      // usually lands between or inside batches; the assertions hold wherever it lands.
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const aborted = await small.complete(longPrompt, { ...options, signal: controller.signal });
      expect(aborted.stopReason).toBe('abort');
      const afterAbort = await small.complete(longPrompt, options);
      const reference = await fresh.complete(longPrompt, options);
      expect(afterAbort.tokens).toEqual(reference.tokens);
    } finally {
      await small.dispose();
      await fresh.dispose();
    }
  });
});

describe('stop strings', () => {
  test('generation stops before a stop string spanning two pieces, which is not in the text', async () => {
    const pieces: string[] = [];
    const free = await model.complete('Stop strings', { ...greedy, maxTokens: 40, onToken: (p) => pieces.push(p) });
    // Pick a stop string made of the end of one piece and the start of the next.
    const index = pieces.findIndex((p, i) => i > 2 && p.length >= 2 && (pieces[i + 1]?.length ?? 0) >= 2);
    expect(index).toBeGreaterThan(0);
    const stop = pieces[index]!.slice(-2) + pieces[index + 1]!.slice(0, 2);
    const expected = free.text.slice(0, free.text.indexOf(stop));

    const streamed: string[] = [];
    const stopped = await model.complete('Stop strings', {
      ...greedy,
      maxTokens: 40,
      stop: ['a stop string that never appears', stop],
      onToken: (p) => streamed.push(p),
    });
    expect(stopped.stopReason).toBe('stop');
    expect(stopped.text).toBe(expected);
    expect(stopped.text).not.toContain(stop);
    expect(streamed.join('')).toBe(expected);
  });
});

describe('constrained output', () => {
  test('a GBNF grammar constrains the text', async () => {
    const completion = await model.complete('Answer yes or no', {
      ...greedy,
      maxTokens: 10,
      grammar: 'root ::= ("yes" | "no") "."',
    });
    expect(completion.text).toMatch(/^(yes|no)\.$/);
    expect(completion.stopReason).toBe('eos');
  });

  const schema = {
    type: 'object',
    properties: {
      command: { type: 'string', maxLength: 40 },
      risk: { enum: ['low', 'medium', 'high'] },
      steps: { type: 'integer', minimum: 1, maximum: 9 },
    },
    required: ['command', 'risk', 'steps'],
    additionalProperties: false,
  };
  const validate = new Ajv().compile(schema);
  const prompts = [
    'list files',
    'find large files',
    'show disk usage',
    'count lines in all python files',
    'kill the process on port 8080',
    'compress the logs folder',
    'show my ip address',
    'delete empty directories',
    'print the current date in UTC',
    'search for TODO in src',
  ];

  test.each(prompts)('with a JSON Schema the output for %p parses and validates', async (prompt) => {
    const completion = await model.complete(prompt, { temperature: 0.8, seed: 7, maxTokens: 120, jsonSchema: schema });
    expect(completion.stopReason).toBe('eos');
    const parsed: unknown = JSON.parse(completion.text);
    expect(validate(parsed)).toBe(true);
  });
});

describe('concurrent calls', () => {
  test('concurrent complete() calls all finish, each with what it would produce alone', async () => {
    const prompts = ['one', 'two', 'three', 'four'];
    const alone = [];
    for (const prompt of prompts) alone.push(await model.complete(prompt, { ...greedy, maxTokens: 6 }));
    const together = await Promise.all(prompts.map((prompt) => model.complete(prompt, { ...greedy, maxTokens: 6 })));
    expect(together.map((c) => c.tokens)).toEqual(alone.map((c) => c.tokens));
  });
});

describe('prompt-prefix reuse', () => {
  const prefix =
    '<|im_start|>system\nYou turn requests into one shell command. Answer with the command only.<|im_end|>\n<|im_start|>user\n';

  test('a prompt sharing the previous prompt\'s beginning reuses its KV state and gives the same greedy output', async () => {
    const other = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
    try {
      const cold = await other.complete(`${prefix}list files<|im_end|>\n`, { ...greedy, maxTokens: 12 });
      await model.complete(`${prefix}show disk usage<|im_end|>\n`, { ...greedy, maxTokens: 12 });
      const warm = await model.complete(`${prefix}list files<|im_end|>\n`, { ...greedy, maxTokens: 12 });
      expect(cold.timings.cachedTokens).toBe(0);
      expect(warm.timings.cachedTokens).toBeGreaterThanOrEqual(model.tokenize(prefix).length);
      expect(warm.tokens).toEqual(cold.tokens);
    } finally {
      await other.dispose();
    }
  });

  test('promptPrefix with prefixCacheFile saves the prefix state, and a fresh load restores it', async () => {
    const cacheFile = path.join(dir, 'prefix.kv');
    const prompt = `${prefix}find large files<|im_end|>\n`;
    const first = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
    let computed;
    try {
      computed = await first.complete(prompt, { ...greedy, maxTokens: 12, promptPrefix: prefix, prefixCacheFile: cacheFile });
    } finally {
      await first.dispose();
    }
    expect(computed.prefixSource).toBe('computed');
    expect(fs.statSync(cacheFile).size).toBeGreaterThan(0);

    const second = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
    try {
      const restored = await second.complete(prompt, { ...greedy, maxTokens: 12, promptPrefix: prefix, prefixCacheFile: cacheFile });
      expect(restored.prefixSource).toBe('file');
      expect(restored.timings.cachedTokens).toBe(second.tokenize(prefix).length);
      expect(restored.tokens).toEqual(computed.tokens);
    } finally {
      await second.dispose();
    }
  });

  test('a prefix state file from another prefix is not used, and is rewritten', async () => {
    const cacheFile = path.join(dir, 'other-prefix.kv');
    const otherPrefix = '<|im_start|>system\nSomething else entirely.<|im_end|>\n';
    await model.complete(`${otherPrefix}hi`, { ...greedy, maxTokens: 2, promptPrefix: otherPrefix, prefixCacheFile: cacheFile });
    const fresh = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
    try {
      const completion = await fresh.complete(`${prefix}hi`, { ...greedy, maxTokens: 2, promptPrefix: prefix, prefixCacheFile: cacheFile });
      expect(completion.prefixSource).toBe('computed');
      expect(completion.timings.cachedTokens).toBe(0);
      const again = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
      try {
        const reused = await again.complete(`${prefix}hi`, { ...greedy, maxTokens: 2, promptPrefix: prefix, prefixCacheFile: cacheFile });
        expect(reused.prefixSource).toBe('file');
      } finally {
        await again.dispose();
      }
    } finally {
      await fresh.dispose();
    }
  });

  describe('the same prompt again evaluates nothing (the logits after it are kept)', () => {
    const prompt = `${prefix}list files<|im_end|>\n`;
    const schema = { type: 'object', properties: { command: { type: 'string', maxLength: 40 } }, required: ['command'], additionalProperties: false };
    const cases = [
      ['greedy', { ...greedy }],
      ['seeded sampling', { temperature: 0.9, topK: 40, seed: 7 }],
      ['greedy with a JSON schema', { ...greedy, jsonSchema: schema }],
      ['seeded sampling with a JSON schema', { temperature: 0.9, seed: 11, jsonSchema: schema }],
    ] as const;

    // Models of their own: the shared one's KV cache and prefix snapshot are what other tests look at.
    let repeating: Model;
    let fresh: Model;
    beforeAll(async () => {
      repeating = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
      fresh = await loadModel(tinyModel(), { contextSize: 1024, threads: 2 });
    });
    afterAll(async () => {
      await repeating?.dispose();
      await fresh?.dispose();
    });

    test.each(cases)('%s: the same tokens as a model that evaluates the whole prompt', async (_name, options) => {
      await fresh.complete('completely unrelated text', { ...greedy, maxTokens: 2 });
      const cold = await fresh.complete(prompt, { ...options, maxTokens: 10 });
      await repeating.complete(prompt, { ...options, maxTokens: 10 });
      const repeated = await repeating.complete(prompt, { ...options, maxTokens: 10 });
      expect(repeated.timings.cachedTokens).toBe(repeated.timings.promptTokens);
      expect(repeated.tokens).toEqual(cold.tokens);
    });

    test('kept logits are dropped once the cache no longer holds the prompt they follow', async () => {
      const model = repeating;
      await fresh.complete('completely unrelated text', { ...greedy, maxTokens: 2 });
      const shorter = `${prefix}list`;
      const expected = await fresh.complete(shorter, { ...greedy, maxTokens: 6 });
      // The KV cache holds `prompt` and its answer; the shorter prompt is a start of it, so its
      // last token is evaluated again (its logits were never kept) and the answer matches.
      await model.complete(prompt, { ...greedy, maxTokens: 6 });
      const cut = await model.complete(shorter, { ...greedy, maxTokens: 6 });
      expect(cut.timings.cachedTokens).toBe(cut.timings.promptTokens - 1);
      expect(cut.tokens).toEqual(expected.tokens);
      // An unrelated prompt in between: the first prompt is evaluated again, with the same answer.
      const first = await model.complete(prompt, { ...greedy, maxTokens: 6 });
      await model.complete('completely unrelated text', { ...greedy, maxTokens: 2 });
      const again = await model.complete(prompt, { ...greedy, maxTokens: 6 });
      expect(again.timings.cachedTokens).toBeLessThan(again.timings.promptTokens);
      expect(again.tokens).toEqual(first.tokens);
    });
  });

  test('a prefix snapshot in memory survives an unrelated prompt in between', async () => {
    const p = `${prefix}one<|im_end|>\n`;
    await model.complete(p, { ...greedy, maxTokens: 2, promptPrefix: prefix });
    await model.complete('completely unrelated text', { ...greedy, maxTokens: 2 });
    const again = await model.complete(p, { ...greedy, maxTokens: 2, promptPrefix: prefix });
    expect(again.prefixSource).toBe('memory');
    expect(again.timings.cachedTokens).toBeGreaterThanOrEqual(model.tokenize(prefix).length);
  });
});
