// Must show 1: @huggingface/tokenizers with the tokenizer.json derived from llama.cpp's Qwen2
// vocabulary gives exactly llama.cpp's own test vectors (models/ggml-vocab-qwen2.gguf.inp/.out).
// Needs no MLX: it runs everywhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlxTokenizer } from '../../lib/engine/mlx/tokenizer';
import { llamaCppDir } from '../../scripts/make-mlx-fixture';
import { mlxFixtures, repoRoot } from './mlx-fixtures';

const vectorsBase = path.join(llamaCppDir(repoRoot), 'models', 'ggml-vocab-qwen2.gguf');

/** llama.cpp's format: inputs separated by a marker line, one line of ids per input. */
function readVectors(): Array<{ text: string; ids: number[] }> {
  const raw = fs.readFileSync(`${vectorsBase}.inp`, 'utf8');
  const separator = '\n__ggml_vocab_test__\n';
  const inputs: string[] = [];
  for (let pos = 0; pos < raw.length; ) {
    const next = raw.indexOf(separator, pos);
    if (next < 0) { inputs.push(raw.slice(pos)); break; }
    inputs.push(raw.slice(pos, next));
    pos = next + separator.length;
  }
  const outputs = fs.readFileSync(`${vectorsBase}.out`, 'utf8').split('\n');
  return inputs.map((text, i) => ({ text, ids: outputs[i].trim() === '' ? [] : outputs[i].trim().split(' ').map(Number) }));
}

describe('the derived Qwen2 tokenizer.json', () => {
  let tokenizer: MlxTokenizer;
  const vectors = readVectors();

  beforeAll(() => {
    tokenizer = MlxTokenizer.fromFolder(mlxFixtures().dir);
  });

  test('llama.cpp ships a non-trivial number of Qwen2 test vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40);
  });

  test.each(vectors.map((v, i) => [i, JSON.stringify(v.text).slice(0, 40), v] as const))(
    'vector %i (%s) tokenizes to llama.cpp\'s ids',
    (_i, _label, v) => {
      expect(tokenizer.tokenize(v.text, { addSpecial: true, parseSpecial: false })).toEqual(v.ids);
    },
  );

  test('decoding the ids of every vector gives its text back', () => {
    for (const v of vectors) expect(tokenizer.detokenize(v.ids)).toBe(v.text);
  });

  test('control tokens are one id each when special tokens are parsed, and plain text otherwise', () => {
    const text = '<|im_start|>user\nhi<|im_end|>';
    expect(tokenizer.tokenize(text, { parseSpecial: true })).toEqual([151644, 872, 198, 6023, 151645]);
    const plain = tokenizer.tokenize(text, { parseSpecial: false });
    expect(plain).not.toContain(151644);
    expect(tokenizer.detokenize(plain)).toBe(text);
  });

  test('streamed pieces join to the same text, holding back split UTF-8 characters', () => {
    const text = 'Äpfel 🦙 нещо';
    const ids = tokenizer.tokenize(text);
    const stream = tokenizer.streamDecoder();
    const pieces = ids.map((id) => stream.push(id));
    expect(pieces.join('') + stream.flush()).toBe(text);
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
  });
});
