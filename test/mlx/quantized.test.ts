// Must show 3: the 4-bit affine-quantized model (group size 64) loads and generates, and the
// pipeline's own JSON Schema constrains its output on 100 different prompts (English requests
// from the nl2bash corpus), even though the weights are random.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { loadMlxModel } from '../../lib/engine/mlx';
import type { Model } from '../../lib/engine/types';
import { commandAnswerSchema, limitsForTokenBudget } from '../../lib/prompt/schema';
import { describeWithMlx, mlxFixtures, repoRoot } from './mlx-fixtures';

const corpus = path.resolve(repoRoot, '..', 'shared', 'corpora', 'nl2bash', 'all.nl');
const MAX_TOKENS = 96;

describeWithMlx('the 4-bit MLX model', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadMlxModel(mlxFixtures().quantizedDir, { contextSize: 1024 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test('loads with its packed weights counted as full parameters', () => {
    // 4 bits per weight: the file is far smaller than the float32 copy of the same model.
    const floatSize = fs.statSync(path.join(mlxFixtures().dir, 'model.safetensors')).size;
    expect(model.info.sizeBytes).toBeLessThan(floatSize / 4);
    expect(model.info.parameters).toBeGreaterThan(151936 * 64);
  });

  test('generates the requested number of tokens, streaming the same text it returns', async () => {
    const pieces: string[] = [];
    const completion = await model.complete('list the files in this directory', {
      maxTokens: 12, temperature: 0, onToken: (p) => pieces.push(p),
    });
    expect(completion.tokens.length).toBeGreaterThan(0);
    expect(completion.stopReason === 'length' || completion.stopReason === 'eos').toBe(true);
    expect(pieces.join('')).toBe(completion.text);
  });

  test('samples reproducibly with a seed', async () => {
    const opts = { maxTokens: 8, temperature: 1, topK: 50, topP: 0.9, minP: 0.01, seed: 42 };
    const a = await model.complete('hello there', opts);
    const b = await model.complete('hello there', opts);
    expect(a.tokens).toEqual(b.tokens);
  });

  test('top-k 1 at any temperature picks the greedy tokens', async () => {
    const greedy = await model.complete('hello there', { maxTokens: 8, temperature: 0 });
    const topOne = await model.complete('hello there', { maxTokens: 8, temperature: 1.5, topK: 1, seed: 7 });
    expect(topOne.tokens).toEqual(greedy.tokens);
  });

  test('different seeds draw different tokens at a high temperature', async () => {
    const opts = { maxTokens: 8, temperature: 2, topK: 0, topP: 1, minP: 0 };
    const a = await model.complete('hello there', { ...opts, seed: 1 });
    const b = await model.complete('hello there', { ...opts, seed: 2 });
    expect(a.tokens).not.toEqual(b.tokens);
  });

  test('a JSON Schema constrains the output on 100 different prompts', async () => {
    if (!fs.existsSync(corpus)) throw new Error(`${corpus} is missing: the shared corpora folder must be present (see /work/shared/corpora/README.md).`);
    const requests = fs.readFileSync(corpus, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 100);
    expect(requests).toHaveLength(100);
    const schema = commandAnswerSchema(limitsForTokenBudget(MAX_TOKENS));
    const validate = new Ajv().compile(schema);
    const failures: string[] = [];
    for (const request of requests) {
      const prompt = model.applyChatTemplate([
        { role: 'system', content: 'Answer with one shell command as JSON.' },
        { role: 'user', content: request },
      ]);
      const completion = await model.complete(prompt, { maxTokens: MAX_TOKENS, temperature: 0, jsonSchema: schema });
      let value: unknown;
      try {
        value = JSON.parse(completion.text);
      } catch {
        failures.push(`${request} -> not JSON (${completion.stopReason}): ${completion.text}`);
        continue;
      }
      if (!validate(value)) failures.push(`${request} -> ${completion.text}: ${JSON.stringify(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
