// Lifecycle: repeated load/dispose without memory growth, use from a worker thread, and a
// clean process exit with a model still loaded (even mid-generation).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { loadModel } from '../../lib/engine';
import { repoRoot, tinyModel } from './engine-fixtures';

const registerTypeScript = `require(${JSON.stringify(path.join(__dirname, 'transpile-register.js'))});`;

/** Runs a script in a fresh node process that can require lib/*.ts. */
function runNode(script: string, args: string[] = []): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['-e', script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CMDAI_LLAMA_LOG: '' },
  });
}

function engineModuleForChildren(): string {
  return path.join(repoRoot, 'lib', 'engine', 'index.ts');
}

describe('load/dispose cycles', () => {
  const CYCLES = 50;
  // Resident memory swings by tens of MiB between cycles (malloc keeps freed weight buffers in
  // per-thread arenas for reuse), so compare the lowest RSS of cycles 11-20 with the lowest of
  // cycles 41-50. A leak of 1 MiB per cycle would add ~30 MiB to the floor; the bound is below.
  // (Leaking the 19 MiB of weights, the vocabulary or a context per cycle is far above it.)
  const FLOOR_GROWTH_BOUND_MIB = 24;

  test(`${CYCLES} load/complete/dispose cycles raise the resident memory floor by less than ${FLOOR_GROWTH_BOUND_MIB} MiB`, () => {
    // A child with --expose-gc, so garbage JS objects do not blur the figure.
    const run = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        `${registerTypeScript}
        const { loadModel } = require(${JSON.stringify(engineModuleForChildren())});
        (async () => {
          const rss = [];
          for (let cycle = 1; cycle <= ${CYCLES}; cycle++) {
            const model = await loadModel(process.argv[1], { contextSize: 512, threads: 1 });
            await model.complete('cycle ' + cycle, { temperature: 0, maxTokens: 2 });
            await model.dispose();
            global.gc();
            rss.push(process.memoryUsage().rss / 1048576);
          }
          console.log(JSON.stringify(rss));
        })();`,
        tinyModel(),
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 },
    );
    expect(run.stderr).toBe('');
    const rss = JSON.parse(run.stdout) as number[];
    expect(rss).toHaveLength(CYCLES);
    const early = Math.min(...rss.slice(10, 20));
    const late = Math.min(...rss.slice(CYCLES - 10));
    process.stdout.write(
      `RSS floor: cycles 11-20 ${early.toFixed(1)} MiB, cycles ${CYCLES - 9}-${CYCLES} ${late.toFixed(1)} MiB ` +
        `(growth ${(late - early).toFixed(1)} MiB; all samples ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB)\n`,
    );
    expect(late - early).toBeLessThan(FLOOR_GROWTH_BOUND_MIB);
  }, 300_000);
});

describe('worker threads', () => {
  test('a model loads and completes inside a worker_thread', async () => {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      require(workerData.register);
      const { loadModel } = require(workerData.engine);
      (async () => {
        const model = await loadModel(workerData.model, { contextSize: 256, threads: 1 });
        const completion = await model.complete('from a worker', { temperature: 0, maxTokens: 4 });
        await model.dispose();
        parentPort.postMessage(completion.timings.generatedTokens);
      })().catch((err) => parentPort.postMessage('error: ' + err.message));
      `,
      { eval: true, workerData: { register: path.join(__dirname, 'transpile-register.js'), engine: engineModuleForChildren(), model: tinyModel() } },
    );
    const message = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(typeof message).toBe('number');
    expect(message as number).toBeGreaterThan(0);
    await worker.terminate();
  });

  test('terminating a worker mid-generation neither crashes nor hangs the process', async () => {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      require(workerData.register);
      const { loadModel } = require(workerData.engine);
      (async () => {
        // ~4000 tokens take seconds: the generation is still running when the worker is terminated.
        const model = await loadModel(workerData.model, { contextSize: 4096, threads: 1 });
        model.complete('never finishes in time', { temperature: 0, maxTokens: 4000, onToken: () => parentPort.postMessage('token') });
      })().catch((err) => parentPort.postMessage('error: ' + err.message));
      `,
      { eval: true, workerData: { register: path.join(__dirname, 'transpile-register.js'), engine: engineModuleForChildren(), model: tinyModel() } },
    );
    const first = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(first).toBe('token');
    const exitCode = await worker.terminate();
    expect(exitCode).toBe(1); // terminate() reports 1 for a forced stop
    // The process is still healthy: a model loads and runs here afterwards.
    const model = await loadModel(tinyModel(), { contextSize: 256, threads: 1 });
    const completion = await model.complete('still alive', { temperature: 0, maxTokens: 2 });
    expect(completion.tokens.length).toBeGreaterThan(0);
    await model.dispose();
  });
});

describe('process exit', () => {
  const preamble = `${registerTypeScript} const { loadModel } = require(${JSON.stringify(engineModuleForChildren())});`;

  test('exiting naturally with a model still loaded is clean', () => {
    const run = runNode(
      `${preamble}
      loadModel(process.argv[1], { contextSize: 256, threads: 1 })
        .then((model) => model.complete('hi', { temperature: 0, maxTokens: 2 }))
        .then(() => console.log('done'));`,
      [tinyModel()],
    );
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('done');
    expect(run.status).toBe(0);
  });

  test('process.exit() in the middle of a generation is clean', () => {
    const run = runNode(
      `${preamble}
      loadModel(process.argv[1], { contextSize: 512, threads: 1 }).then((model) => {
        let pieces = 0;
        model.complete('exit while generating', { temperature: 0, maxTokens: 400, onToken: () => {
          if (++pieces === 3) process.exit(0);
        } });
      });`,
      [tinyModel()],
    );
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
