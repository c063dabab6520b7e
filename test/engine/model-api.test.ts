// The Model surface around complete(): tokenizer, chat template, vocabulary-only loads, the
// completion queue and dispose() while work is in flight.

import fs from 'node:fs';
import path from 'node:path';

import { CmdaiError, isAbortError } from '../../lib/errors';
import { loadModel } from '../../lib/engine';
import { loadBinding } from '../../lib/engine/binding';
import type { Model } from '../../lib/engine/types';
import { tempDir, tinyModel } from './engine-fixtures';

describe('tokenizer and chat template', () => {
  let model: Model;

  beforeAll(async () => {
    model = await loadModel(tinyModel(), { vocabOnly: true });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test('tokenize and detokenize round-trip text', () => {
    const text = 'find . -name "*.log" -size +100M  # 東京 🦙';
    expect(model.detokenize(model.tokenize(text))).toBe(text);
  });

  test('special tokens are parsed by default and can be kept literal', () => {
    expect(model.tokenize('<|im_start|>')).toHaveLength(1);
    expect(model.tokenize('<|im_start|>', { parseSpecial: false }).length).toBeGreaterThan(1);
  });

  test('detokenize rejects an id outside the vocabulary with a USAGE error naming it', () => {
    expect(() => model.detokenize([1, model.info.vocabSize + 5])).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining(String(model.info.vocabSize + 5)) }),
    );
  });

  test("applyChatTemplate renders the model's ChatML template", () => {
    const text = model.applyChatTemplate([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'list files' },
    ]);
    expect(text).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nlist files<|im_end|>\n<|im_start|>assistant\n');
  });

  test('applyChatTemplate without the assistant opening', () => {
    const text = model.applyChatTemplate([{ role: 'user', content: 'hi' }], { addAssistant: false });
    expect(text.endsWith('<|im_end|>\n')).toBe(true);
  });

  test('a vocabulary-only model refuses to complete, saying why', async () => {
    const err = await model.complete('hi', { maxTokens: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmdaiError);
    expect((err as CmdaiError).code).toBe('USAGE');
    expect((err as CmdaiError).message).toMatch(/vocabOnly/);
  });
});

describe('the completion queue and dispose()', () => {
  let model: Model;

  beforeEach(async () => {
    model = await loadModel(tinyModel(), { contextSize: 4096, threads: 2 });
  });

  afterEach(async () => {
    await model.dispose();
  });

  test('a queued completion whose signal aborts while it waits rejects with an AbortError', async () => {
    const controller = new AbortController();
    // The abort lands before the queue even starts the first completion.
    const first = model.complete('first', { temperature: 0, maxTokens: 20 });
    const second = model.complete('second', { temperature: 0, maxTokens: 4, signal: controller.signal });
    controller.abort();
    const [firstResult, secondResult] = await Promise.allSettled([first, second]);
    expect(firstResult.status).toBe('fulfilled');
    expect(secondResult.status).toBe('rejected');
    expect(isAbortError((secondResult as PromiseRejectedResult).reason)).toBe(true);
  });

  test('dispose() during a generation ends it with stopReason "abort" and rejects the queued ones', async () => {
    let started!: () => void;
    const firstPiece = new Promise<void>((resolve) => (started = resolve));
    const running = model.complete('running', { temperature: 0, maxTokens: 3000, onToken: () => started() });
    const queued = model.complete('queued', { temperature: 0, maxTokens: 4 });
    await firstPiece;
    await model.dispose();
    const completion = await running;
    expect(completion.stopReason).toBe('abort');
    expect(completion.tokens.length).toBeLessThan(3000);
    const err = await queued.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmdaiError);
    expect((err as CmdaiError).message).toMatch(/disposed/);
  });

  test('a prompt-prefix cache file that cannot be written does not fail the completion; prefixSaveProblem names it', async () => {
    const dir = tempDir();
    try {
      const cacheFile = path.join(dir, 'no-such-dir', 'prefix.kv');
      const result = await model.complete('system: be brief. user: hi', { temperature: 0, maxTokens: 2, promptPrefix: 'system: be brief.', prefixCacheFile: cacheFile });
      expect(result.timings.generatedTokens + (result.stopReason === 'eos' ? 1 : 0)).toBeGreaterThan(0);
      expect(result.prefixSaveProblem).toContain(cacheFile);
      expect(fs.existsSync(cacheFile)).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('promptPrefix must be the beginning of the prompt', async () => {
    const err = await model.complete('hello world', { promptPrefix: 'world' }).catch((e: unknown) => e);
    expect((err as CmdaiError).code).toBe('USAGE');
  });
});

describe('without a native build', () => {
  test('loading the addon says exactly what to run', () => {
    const emptyRoot = tempDir();
    try {
      let thrown: unknown;
      try {
        loadBinding(emptyRoot);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CmdaiError);
      const err = thrown as CmdaiError;
      expect(err.code).toBe('BACKEND_UNAVAILABLE');
      expect(err.message).toContain(`no prebuilt binary for ${process.platform}-${process.arch}`);
      expect(err.hint).toBe(
        `Run \`npm run build:native\` in ${emptyRoot} (needs CMake, git and a C++ compiler); the remote backends (--backend ollama or openai) work without it.`,
      );
    } finally {
      fs.rmSync(emptyRoot, { recursive: true, force: true });
    }
  });

  test('a prebuild folder for this platform but another C library says the same, naming the C library', () => {
    const root = tempDir();
    try {
      // A glibc system with only a musl prebuild (or the reverse): node-gyp-build finds no match.
      const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);
      const other = process.platform !== 'linux' ? 'cmdai.napi.armv6.node' : `cmdai.${glibc ? 'musl' : 'glibc'}.napi.node`;
      fs.mkdirSync(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`), { recursive: true });
      fs.writeFileSync(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, other), '');
      let thrown: unknown;
      try {
        loadBinding(root);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CmdaiError);
      const err = thrown as CmdaiError;
      expect(err.code).toBe('BACKEND_UNAVAILABLE');
      const label = process.platform === 'linux' ? `${process.platform}-${process.arch} (${glibc ? 'glibc' : 'musl'})` : `${process.platform}-${process.arch}`;
      expect(err.message).toContain(`no prebuilt binary for ${label}`);
      expect(err.hint).toContain(`npm run build:native\` in ${root}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
