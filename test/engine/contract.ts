// The Model contract every in-process engine keeps (specs/engine.md), as one suite that
// test/engine/contract.test.ts runs against llama.cpp and MLX alike: bad input, lifecycle,
// streaming order and abort. What only one engine does is tested in its own folder.
import { isAbortError } from '../../lib/errors';
import type { Model } from '../../lib/engine/types';
import { type ChildModel, firstMessage, runEngineChild, startEngineWorker } from '../helpers/engine-child';
import { expectCmdaiError } from '../helpers/errors';

export interface EngineUnderTest {
  /** Loads the engine's small test model with the given context size. */
  load(contextSize: number): Promise<Model>;
  /** How a child process or worker thread loads the same model (test/helpers/scripts/engine-child.js). */
  child(): ChildModel;
  /** `describe`, or one that reports the suite skipped with its reason. */
  describe: (title: string, body: () => void) => void;
}

export function engineContract(name: string, engine: EngineUnderTest): void {
  engine.describe(`the ${name} engine: completing with bad options`, () => {
    let model: Model;

    beforeAll(async () => {
      model = await engine.load(128);
    });

    afterAll(async () => {
      await model?.dispose();
    });

    test('an empty prompt is a USAGE error', async () => {
      const err = await expectCmdaiError(model.complete('', { maxTokens: 4 }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toMatch(/prompt is empty/);
    });

    test('a prompt longer than the context is a USAGE error giving both sizes', async () => {
      const err = await expectCmdaiError(model.complete('word '.repeat(400), { maxTokens: 4 }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toMatch(new RegExp(`prompt is \\d+ tokens but the context holds ${model.info.contextSize}`));
    });

    test.each([0, -1, 2.5])('maxTokens %p is a USAGE error', async (maxTokens) => {
      const err = await expectCmdaiError(model.complete('hello', { maxTokens }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toMatch(/maxTokens must be a whole number of at least 1/);
    });

    test.each([
      ['temperature', { temperature: -1 }],
      ['topP', { topP: 0 }],
      ['minP', { minP: 2 }],
      ['topK', { topK: 1.5 }],
      ['stop', { stop: [''] }],
    ])('a bad %s is a USAGE error naming it', async (option, opts) => {
      const err = await expectCmdaiError(model.complete('hello', { maxTokens: 2, ...opts }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toContain(option);
    });

    test('a token id outside the vocabulary is a USAGE error giving the range', async () => {
      const err = await expectCmdaiError(() => model.detokenize([model.info.vocabSize]));
      expect(err.code).toBe('USAGE');
      expect(err.message).toContain(`0 to ${model.info.vocabSize - 1}`);
    });

    test('an already aborted signal rejects with an AbortError', async () => {
      const err = await model.complete('hello', { maxTokens: 4, signal: AbortSignal.abort() }).catch((e: unknown) => e);
      expect(isAbortError(err)).toBe(true);
    });

    test('the model still works after all of the above', async () => {
      const completion = await model.complete('hello', { maxTokens: 3, temperature: 0 });
      expect(completion.timings.generatedTokens).toBeGreaterThan(0);
    });
  });

  engine.describe(`the ${name} engine: streaming and abort`, () => {
    let model: Model;

    beforeAll(async () => {
      model = await engine.load(256);
    });

    afterAll(async () => {
      await model?.dispose();
    });

    test('the streamed pieces, in order, are the text, and all arrive before the promise resolves', async () => {
      const pieces: string[] = [];
      const completion = await model.complete('count', { maxTokens: 12, temperature: 0, onToken: (piece) => pieces.push(piece) });
      expect(pieces.join('')).toBe(completion.text);
      expect(pieces.every((piece) => piece.length > 0)).toBe(true);
      expect(completion.tokens.length).toBe(completion.timings.generatedTokens);
    });

    test('aborting during generation stops it with stopReason "abort" and no more pieces', async () => {
      const controller = new AbortController();
      let piecesAfterAbort = 0;
      const completion = await model.complete('hello', {
        maxTokens: 100,
        temperature: 0,
        signal: controller.signal,
        onToken: () => {
          if (controller.signal.aborted) piecesAfterAbort++;
          controller.abort();
        },
      });
      expect(completion.stopReason).toBe('abort');
      expect(completion.tokens.length).toBeLessThan(100);
      expect(piecesAfterAbort).toBe(0);
    });

    test('a listener that throws ends the completion and becomes its rejection', async () => {
      const failure = new Error('listener failed');
      const err = await model.complete('hello', { maxTokens: 50, temperature: 0, onToken: () => { throw failure; } }).catch((e: unknown) => e);
      expect(err).toBe(failure);
    });

    test('a stop string ends the text before it, and is never streamed', async () => {
      const full = await model.complete('hello', { maxTokens: 12, temperature: 0 });
      const stop = full.text.slice(4, 7);
      if (stop.length < 3) return; // the model happened to end early: nothing to cut
      const pieces: string[] = [];
      const cut = await model.complete('hello', { maxTokens: 12, temperature: 0, stop: [stop], onToken: (p) => pieces.push(p) });
      expect(cut.stopReason).toBe('stop');
      expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
      expect(pieces.join('')).toBe(cut.text);
    });

    test('completions queued together run one at a time, each whole', async () => {
      const runs = await Promise.all([1, 2, 3].map(() => model.complete('hello', { maxTokens: 4, temperature: 0 })));
      expect(new Set(runs.map((run) => run.text)).size).toBe(1);
    });
  });

  engine.describe(`the ${name} engine: a disposed model`, () => {
    let model: Model;

    beforeAll(async () => {
      model = await engine.load(128);
      await model.dispose();
    });

    test('rejects complete() with a USAGE error saying it was disposed', async () => {
      const err = await expectCmdaiError(model.complete('hello', { maxTokens: 2 }));
      expect(err.code).toBe('USAGE');
      expect(err.message).toMatch(/disposed/);
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

  engine.describe(`the ${name} engine: dispose during a completion`, () => {
    test('ends the running completion with stopReason "abort" and rejects the queued ones', async () => {
      const model = await engine.load(256);
      let disposing: Promise<void> | undefined;
      const running = model.complete('hello', { maxTokens: 200, temperature: 0, onToken: () => { disposing ??= model.dispose(); } });
      const queued = model.complete('hello', { maxTokens: 2 });
      const completion = await running;
      await disposing;
      expect(completion.stopReason).toBe('abort');
      const err = await expectCmdaiError(queued);
      expect(err.message).toMatch(/disposed/);
    });
  });

  engine.describe(`the ${name} engine: in a worker thread and at process exit`, () => {
    test('a model loads and completes inside a worker_thread', async () => {
      const worker = startEngineWorker('complete', engine.child());
      const message = await firstMessage(worker);
      await worker.terminate();
      expect(typeof message).toBe('number');
      expect(message as number).toBeGreaterThan(0);
      expect(message as number).toBeLessThanOrEqual(4);
    });

    test('terminating a worker mid-generation neither crashes nor hangs the process', async () => {
      const worker = startEngineWorker('generate', engine.child());
      expect(await firstMessage(worker)).toBe('token');
      expect(await worker.terminate()).toBe(1); // 1: stopped by terminate()
      // The process is still healthy: a model loads and runs here afterwards.
      const model = await engine.load(256);
      const completion = await model.complete('still alive', { temperature: 0, maxTokens: 2 });
      expect(completion.tokens.length).toBeGreaterThan(0);
      await model.dispose();
    });

    test('exiting naturally with a model still loaded is clean', () => {
      const run = runEngineChild('exit-loaded', engine.child());
      expect(run.signal).toBeNull();
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('done');
      expect(run.status).toBe(0);
    });

    test('process.exit() in the middle of a generation is clean', () => {
      const run = runEngineChild('exit-mid-generation', engine.child());
      expect(run.signal).toBeNull();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    });
  });
}
