// Must show 4: the llama.cpp engine's bad-input list, on the MLX engine: each gets a CmdaiError
// with a stable code and a message naming what is wrong, never a crash. Checking a model folder
// happens before any native code runs, so that half needs no MLX.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError, isAbortError } from '../../lib/errors';
import { loadMlxModel } from '../../lib/engine/mlx';
import type { Model } from '../../lib/engine/types';
import { describeWithMlx, mlxFixtures, tempDir } from './mlx-fixtures';

let dir: string;

beforeAll(() => {
  dir = tempDir();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of the float model folder, changed by `edit`. */
function modelCopy(name: string, edit: (folder: string) => void): string {
  const source = mlxFixtures().dir;
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(folder, f));
  edit(folder);
  return folder;
}

async function loadError(folder: string): Promise<CmdaiError> {
  try {
    const model = await loadMlxModel(folder, { contextSize: 128 });
    await model.dispose();
  } catch (err) {
    expect(err).toBeInstanceOf(CmdaiError);
    return err as CmdaiError;
  }
  throw new Error(`loading ${folder} succeeded but should have failed`);
}

describe('loading an MLX model folder', () => {
  test('a missing path is MODEL_MISSING and names the path', async () => {
    const missing = path.join(dir, 'no-such-model');
    const err = await loadError(missing);
    expect(err.code).toBe('MODEL_MISSING');
    expect(err.message).toContain(missing);
  });

  test('a directory without config.json is MODEL_INVALID and says it is not a model folder', async () => {
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const err = await loadError(empty);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/not an MLX model folder: it has no config\.json/);
  });

  test('a text file is MODEL_INVALID and says it is a file, not a model folder', async () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'these are not model weights\n');
    const err = await loadError(file);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/is a file, not an MLX model folder/);
  });

  test('a GGUF file is MODEL_INVALID and points at the llama.cpp engine', async () => {
    const err = await loadError(mlxFixtures().gguf);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.hint).toMatch(/llama\.cpp engine/);
  });

  test('a config.json that is text is MODEL_INVALID and names the file', async () => {
    const folder = modelCopy('text-config', (f) => fs.writeFileSync(path.join(f, 'config.json'), 'not json'));
    const err = await loadError(folder);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/config\.json is not valid JSON/);
  });

  test('truncated weights are MODEL_INVALID and say the file is truncated', async () => {
    const folder = modelCopy('truncated', (f) => {
      const file = path.join(f, 'model.safetensors');
      const whole = fs.readFileSync(file);
      fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    });
    const err = await loadError(folder);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/model\.safetensors is truncated: it has \d+ bytes but its header describes \d+/);
  });

  test('an unsupported architecture is MODEL_INVALID and names the architecture', async () => {
    const folder = modelCopy('llama-arch', (f) => {
      const config = JSON.parse(fs.readFileSync(path.join(f, 'config.json'), 'utf8'));
      fs.writeFileSync(path.join(f, 'config.json'), JSON.stringify({ ...config, model_type: 'foo' }));
    });
    const err = await loadError(folder);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/holds a "foo" model; the MLX engine runs qwen2 models only/);
  });

  test('an already aborted signal rejects with an AbortError without loading', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await loadMlxModel(mlxFixtures().dir, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
  });
});

describeWithMlx('loading weights the native code rejects', () => {
  test('a missing tensor is MODEL_INVALID and names the tensor', async () => {
    const folder = modelCopy('missing-tensor', (f) => {
      // Same header layout, one tensor renamed: the file is whole but the model is not.
      const file = path.join(f, 'model.safetensors');
      const bytes = fs.readFileSync(file);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const header = bytes.subarray(8, 8 + headerLength).toString('utf8').replace('model.norm.weight', 'model.nrom.weight');
      bytes.write(header, 8, 'utf8');
      fs.writeFileSync(file, bytes);
    });
    const err = await loadError(folder);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/no tensor named model\.norm\.weight/);
  });
});

describeWithMlx('weights and files that do not belong together', () => {
  test('weights whose shapes disagree with config.json are MODEL_INVALID with MLX\'s reason', async () => {
    const folder = modelCopy('wrong-shape', (f) => {
      const config = JSON.parse(fs.readFileSync(path.join(f, 'config.json'), 'utf8'));
      fs.writeFileSync(path.join(f, 'config.json'), JSON.stringify({ ...config, num_attention_heads: 2, num_key_value_heads: 2 }));
    });
    const err = await loadError(folder);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/the weights do not fit config\.json: \S+/);
  });

  test('a tokenizer with ids beyond the weights\' vocabulary fails the completion, not the process', async () => {
    const folder = modelCopy('foreign-tokenizer', (f) => {
      const file = path.join(f, 'tokenizer.json');
      const tokenizer = JSON.parse(fs.readFileSync(file, 'utf8'));
      tokenizer.added_tokens.push({ id: 200000, content: '<|foreign|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      fs.writeFileSync(file, JSON.stringify(tokenizer));
    });
    const model = await loadMlxModel(folder, { contextSize: 128 });
    try {
      const err = await model.complete('hello <|foreign|>', { maxTokens: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CmdaiError);
      expect((err as CmdaiError).code).toBe('GENERATION');
      expect((err as CmdaiError).message).toMatch(/token id 200000 is outside the model's vocabulary/);
      expect((await model.complete('hello', { maxTokens: 2, temperature: 0 })).tokens).toHaveLength(2);
    } finally {
      await model.dispose();
    }
  });
});

describeWithMlx('completing with bad options on the MLX engine', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadMlxModel(mlxFixtures().dir, { contextSize: 128 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  async function completeError(prompt: string, opts: Parameters<Model['complete']>[1]): Promise<CmdaiError> {
    const err = await model.complete(prompt, opts).then(
      () => {
        throw new Error('complete() succeeded but should have failed');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CmdaiError);
    return err as CmdaiError;
  }

  test('an empty prompt is a USAGE error', async () => {
    const err = await completeError('', { maxTokens: 4 });
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/prompt is empty/);
  });

  test('a prompt longer than the context is a USAGE error giving both sizes', async () => {
    const err = await completeError('word '.repeat(400), { maxTokens: 4 });
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/prompt is \d+ tokens but the context holds 128/);
  });

  test('a GBNF grammar is a USAGE error pointing at jsonSchema', async () => {
    const err = await completeError('hello', { maxTokens: 4, grammar: 'root ::= "yes"' });
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/jsonSchema/);
  });

  test('an unsupported JSON Schema keyword is a USAGE error naming it', async () => {
    const err = await completeError('hello', { maxTokens: 4, jsonSchema: { type: 'string', pattern: '^x$' } });
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/"pattern"/);
  });

  test.each([0, -1, 2.5])('maxTokens %p is a USAGE error', async (maxTokens) => {
    const err = await completeError('hello', { maxTokens });
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/maxTokens must be a whole number of at least 1/);
  });

  test('an already aborted signal rejects with an AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await model.complete('hello', { maxTokens: 4, signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
  });

  test('aborting during generation stops it with stopReason "abort"', async () => {
    const controller = new AbortController();
    const completion = await model.complete('hello', {
      maxTokens: 100, temperature: 0, signal: controller.signal,
      onToken: () => controller.abort(),
    });
    expect(completion.stopReason).toBe('abort');
    expect(completion.tokens.length).toBeLessThan(100);
  });

  test('a stop string ends the text before it', async () => {
    const full = await model.complete('hello', { maxTokens: 12, temperature: 0 });
    const stop = full.text.slice(4, 7);
    const cut = await model.complete('hello', { maxTokens: 12, temperature: 0, stop: [stop] });
    expect(cut.stopReason).toBe('stop');
    expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
  });

  test('the model still works after all of the above', async () => {
    const completion = await model.complete('hello', { maxTokens: 3, temperature: 0 });
    expect(completion.timings.generatedTokens).toBeGreaterThan(0);
  });
});

describeWithMlx('a disposed MLX model', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadMlxModel(mlxFixtures().dir, { contextSize: 128 });
    await model.dispose();
  });

  test('rejects complete() with a USAGE error saying it was disposed', async () => {
    const err = await model.complete('hello', { maxTokens: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmdaiError);
    expect((err as CmdaiError).code).toBe('USAGE');
    expect((err as CmdaiError).message).toMatch(/disposed/);
  });

  test('throws from tokenize(), detokenize() and applyChatTemplate()', () => {
    expect(() => model.tokenize('hello')).toThrow(/disposed/);
    expect(() => model.detokenize([1, 2])).toThrow(/disposed/);
    expect(() => model.applyChatTemplate([{ role: 'user', content: 'hi' }])).toThrow(/disposed/);
  });

  test('can be disposed again', async () => {
    await expect(model.dispose()).resolves.toBeUndefined();
  });
});
