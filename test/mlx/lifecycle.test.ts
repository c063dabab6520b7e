// Lifecycle of the MLX engine: repeated load/dispose without memory growth, use from a worker
// thread, and a clean process exit with a model still loaded (even mid-generation).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadMlxModel } from '../../lib/engine/mlx';
import { describeWithMlx, mlxFixtures, repoRoot } from './mlx-fixtures';

const register = path.join(repoRoot, 'test', 'engine', 'transpile-register.js');
const engineModule = path.join(repoRoot, 'lib', 'engine', 'mlx', 'index.ts');

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / (1 << 20);
}

function runNode(script: string, args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['-e', `require(${JSON.stringify(register)}); ${script}`, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describeWithMlx('MLX load/dispose cycles', () => {
  const CYCLES = 20;
  // The float model holds ~40 MB of weights; leaking them (or their KV cache) on every cycle
  // would exceed this bound many times over.
  const RSS_GROWTH_BOUND_MIB = 60;

  test(`${CYCLES} cycles keep resident memory within ${RSS_GROWTH_BOUND_MIB} MiB of the start`, async () => {
    const folder = mlxFixtures().dir;
    let baseline = 0;
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const model = await loadMlxModel(folder, { contextSize: 256 });
      await model.complete('cycle', { temperature: 0, maxTokens: 2 });
      await model.dispose();
      if (cycle === 5) baseline = rssMiB();
    }
    const growth = rssMiB() - baseline;
    process.stdout.write(`MLX RSS growth over ${CYCLES - 5} load/dispose cycles: ${growth.toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND_MIB);
  }, 240_000);
});

describeWithMlx('two MLX models at once', () => {
  test('generating at the same time, each gives what it gives alone', async () => {
    const fixtures = mlxFixtures();
    const [a, b] = await Promise.all([
      loadMlxModel(fixtures.dir, { contextSize: 256 }),
      loadMlxModel(fixtures.quantizedDir, { contextSize: 256 }),
    ]);
    try {
      const opts = { maxTokens: 32, temperature: 0 };
      const aloneA = await a.complete('hello world', opts);
      const aloneB = await b.complete('hello world', opts);
      for (let round = 0; round < 3; round++) {
        const [togetherA, togetherB] = await Promise.all([a.complete('hello world', opts), b.complete('hello world', opts)]);
        expect(togetherA.tokens).toEqual(aloneA.tokens);
        expect(togetherB.tokens).toEqual(aloneB.tokens);
      }
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  test('calls on one model queue up and each gets its own answer', async () => {
    const model = await loadMlxModel(mlxFixtures().dir, { contextSize: 256 });
    try {
      const prompts = ['one', 'two', 'three'];
      const alone = [];
      for (const p of prompts) alone.push((await model.complete(p, { maxTokens: 8, temperature: 0 })).tokens);
      const together = await Promise.all(prompts.map((p) => model.complete(p, { maxTokens: 8, temperature: 0 })));
      expect(together.map((c) => c.tokens)).toEqual(alone);
    } finally {
      await model.dispose();
    }
  });
});

describeWithMlx('the MLX engine in worker threads', () => {
  const workerData = () => ({ register, engine: engineModule, model: mlxFixtures().dir });

  test('a model loads and completes inside a worker_thread', async () => {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      require(workerData.register);
      const { loadMlxModel } = require(workerData.engine);
      (async () => {
        const model = await loadMlxModel(workerData.model, { contextSize: 256 });
        const completion = await model.complete('from a worker', { temperature: 0, maxTokens: 4 });
        await model.dispose();
        parentPort.postMessage(completion.timings.generatedTokens);
      })().catch((err) => parentPort.postMessage('error: ' + err.message));
      `,
      { eval: true, workerData: workerData() },
    );
    const message = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(message).toBe(4);
    await worker.terminate();
  });

  test('terminating a worker mid-generation neither crashes nor hangs the process', async () => {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      require(workerData.register);
      const { loadMlxModel } = require(workerData.engine);
      (async () => {
        const model = await loadMlxModel(workerData.model, { contextSize: 512 });
        model.complete('never finishes in time', { temperature: 0, maxTokens: 400, onToken: () => parentPort.postMessage('token') });
      })().catch((err) => parentPort.postMessage('error: ' + err.message));
      `,
      { eval: true, workerData: workerData() },
    );
    const first = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(first).toBe('token');
    expect(await worker.terminate()).toBe(1); // 1: stopped by terminate()
    const model = await loadMlxModel(mlxFixtures().dir, { contextSize: 256 });
    const completion = await model.complete('still alive', { temperature: 0, maxTokens: 2 });
    expect(completion.tokens.length).toBeGreaterThan(0);
    await model.dispose();
  });
});

describeWithMlx('process exit with an MLX model loaded', () => {
  const preamble = `const { loadMlxModel } = require(${JSON.stringify(engineModule)});`;

  test('exiting naturally with a model still loaded is clean', () => {
    const run = runNode(
      `${preamble}
      loadMlxModel(process.argv[1], { contextSize: 256 })
        .then((model) => model.complete('hi', { temperature: 0, maxTokens: 2 }))
        .then(() => console.log('done'));`,
      [mlxFixtures().dir],
    );
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('done');
    expect(run.status).toBe(0);
  });

  test('process.exit() in the middle of a generation is clean', () => {
    const run = runNode(
      `${preamble}
      loadMlxModel(process.argv[1], { contextSize: 512 }).then((model) => {
        let pieces = 0;
        model.complete('exit while generating', { temperature: 0, maxTokens: 400, onToken: () => {
          if (++pieces === 3) process.exit(0);
        } });
      });`,
      [mlxFixtures().dir],
    );
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
