// Bad input gets a JS error with a clear message and a stable code, never a crash.

import fs from 'node:fs';
import path from 'node:path';

import { CmdaiError, isAbortError } from '../../lib/errors';
import { loadModel } from '../../lib/engine';
import type { Model } from '../../lib/engine/types';
import { expectCmdaiError } from '../helpers/errors';
import { perfModel, tempDir, tinyModel, writeMetadataOnlyGguf } from './engine-fixtures';

let dir: string;

beforeAll(() => {
  dir = tempDir();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function loadError(file: string): Promise<CmdaiError> {
  return expectCmdaiError(async () => {
    const model = await loadModel(file, { threads: 1 });
    await model.dispose();
  });
}

describe('loading a model', () => {
  test('a missing path is MODEL_MISSING and names the path', async () => {
    const missing = path.join(dir, 'no-such-model.gguf');
    const err = await loadError(missing);
    expect(err.code).toBe('MODEL_MISSING');
    expect(err.message).toContain(missing);
  });

  test('a directory is MODEL_INVALID and says it is a directory', async () => {
    const err = await loadError(dir);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/is a directory/);
  });

  test('a text file is MODEL_INVALID and says it is not GGUF', async () => {
    const file = path.join(dir, 'notes.gguf');
    fs.writeFileSync(file, 'these are not model weights\n');
    const err = await loadError(file);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/not a GGUF model file/);
  });

  test('a truncated GGUF is MODEL_INVALID with llama.cpp\'s reason', async () => {
    const file = path.join(dir, 'truncated.gguf');
    const whole = fs.readFileSync(tinyModel());
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const err = await loadError(file);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain(file);
    // More than the generic "cannot load": the reason llama.cpp logged.
    expect(err.message).toMatch(/cannot load model .*: \S+/);
    expect(err.message).not.toMatch(/llama\.cpp rejected the file$/);
  });

  test('an unsupported architecture is MODEL_INVALID and names the architecture', async () => {
    const file = path.join(dir, 'foo.gguf');
    writeMetadataOnlyGguf(file, { 'general.architecture': 'foo', 'general.name': 'not a real model' });
    const err = await loadError(file);
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/unknown model architecture: 'foo'/);
  });

  test('an already aborted signal rejects with an AbortError without loading', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await loadModel(tinyModel(), { signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
  });

  test('a successful load reports increasing progress ending at 1, before it resolves', async () => {
    const fractions: number[] = [];
    const model = await loadModel(tinyModel(), { threads: 1, contextSize: 256, onProgress: (f) => fractions.push(f) });
    const seenWhenLoaded = fractions.length;
    await model.dispose();
    expect(seenWhenLoaded).toBeGreaterThan(0);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  test('aborting during the load rejects with an AbortError, and progress was reported before', async () => {
    const controller = new AbortController();
    const fractions: number[] = [];
    const err = await loadModel(perfModel(), {
      threads: 1,
      signal: controller.signal,
      onProgress: (fraction) => {
        fractions.push(fraction);
        controller.abort();
      },
    }).then(
      async (model) => {
        await model.dispose();
        return new Error('the load finished despite the abort');
      },
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions.every((f) => f >= 0 && f < 1)).toBe(true);
  });
});

describe('completing with a bad grammar (the rest of the bad-option list is in contract.ts, for both engines)', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadModel(tinyModel(), { contextSize: 128, threads: 2 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test('an invalid grammar is a USAGE error with the parser\'s reason', async () => {
    const err = await expectCmdaiError(model.complete('hello', { maxTokens: 4, grammar: 'root ::= ( "unclosed' }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toBe('invalid grammar: unexpected end of input');
  });

  test('a grammar without a root rule is a USAGE error', async () => {
    const err = await expectCmdaiError(model.complete('hello', { maxTokens: 4, grammar: 'answer ::= "yes" | "no"' }));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/invalid grammar: .*'root'/);
  });

  test('the model still works after them', async () => {
    const completion = await model.complete('hello', { maxTokens: 3, temperature: 0 });
    expect(completion.timings.generatedTokens).toBeGreaterThan(0);
  });
});
