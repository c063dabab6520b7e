// Must show 4: the llama.cpp engine's bad-input list, on the MLX engine: each gets a CmdaiError
// with a stable code and a message naming what is wrong, never a crash. Checking a model folder
// happens before any native code runs, so that half needs no MLX.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError, isAbortError } from '../../lib/errors';
import { loadMlxModel } from '../../lib/engine/mlx';
import type { Model } from '../../lib/engine/types';
import { expectCmdaiError } from '../helpers/errors';
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

function loadError(folder: string): Promise<CmdaiError> {
  return expectCmdaiError(async () => {
    const model = await loadMlxModel(folder, { contextSize: 128 });
    await model.dispose();
  });
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

describeWithMlx('options only the llama.cpp engine has (the shared bad-option list is in test/engine/contract.ts)', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadMlxModel(mlxFixtures().dir, { contextSize: 128 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test('a GBNF grammar is a USAGE error pointing at jsonSchema', async () => {
    const err = await expectCmdaiError(model.complete('hello', { maxTokens: 4, grammar: 'root ::= "yes"' }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/jsonSchema/);
  });

  test('an unsupported JSON Schema keyword is a USAGE error naming it', async () => {
    const err = await expectCmdaiError(model.complete('hello', { maxTokens: 4, jsonSchema: { type: 'string', pattern: '^x$' } }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/"pattern"/);
  });

  test('a repeat penalty is a USAGE error saying MLX has none', async () => {
    const err = await expectCmdaiError(model.complete('hello', { maxTokens: 4, repeatPenalty: 1.1 }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/no repeat penalty/);
  });
});
