// Tokenization through cmdai/engine must equal llama.cpp's own Qwen2 test vectors
// (models/ggml-vocab-qwen2.gguf.inp / .out, checked by llama.cpp's tests/test-tokenizer-0.cpp
// with add_special = false and parse_special = false).
//
// The text goes through the tiny test model, whose vocabulary scripts/make-test-models.ts
// copied from ggml-vocab-qwen2.gguf, so this also proves the copy is faithful.

import * as path from 'node:path';
import { loadModel } from '../../lib/engine';
import type { Model } from '../../lib/engine/types';
import { llamaCppDir, readVocabTestVectors, requireFile, tinyModel } from './reference-tools';

const vectorsBase = path.join(llamaCppDir, 'models', 'ggml-vocab-qwen2.gguf');
const vectors = readVocabTestVectors(
  requireFile(`${vectorsBase}.inp`, 'node scripts/fetch-llama.js'),
  requireFile(`${vectorsBase}.out`, 'node scripts/fetch-llama.js'),
);

describe('tokenization matches llama.cpp test vectors for the Qwen2 vocabulary', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadModel(requireFile(tinyModel, 'npm run fixtures'), { contextSize: 512, threads: 1 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test('the vector files hold a non-trivial number of cases', () => {
    expect(vectors.length).toBeGreaterThan(30);
  });

  test.each(vectors.map((v) => [JSON.stringify(v.input), v] as const))('tokenizes %s', (_name, vector) => {
    expect(model.tokenize(vector.input, { addSpecial: false, parseSpecial: false })).toEqual(vector.expected);
  });
});
