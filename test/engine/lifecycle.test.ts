// Lifecycle: repeated load/dispose without memory growth, use from a worker thread, and a
// clean process exit with a model still loaded (even mid-generation).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { loadModel } from '../../lib/engine';
import { repoRoot, tinyModel } from './engine-fixtures';

const registerTypeScript = `require(${JSON.stringify(path.join(__dirname, 'transpile-register.js'))});`;

/** Runs a script in a fresh node process that can require lib/*.ts. */
function runNode(script: string, args: string[] = [], env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['-e', script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CMDAI_LLAMA_LOG: '', ...env },
  });
}

// See 'load/dispose cycles' below.
const steadyMalloc = { MALLOC_MMAP_THRESHOLD_: String(1 << 20) };

function engineModuleForChildren(): string {
  return path.join(repoRoot, 'lib', 'engine', 'index.ts');
}

describe('load/dispose cycles', () => {
  const CYCLES = 50;
  // The children run with glibc's mmap threshold pinned at 1 MiB, so freed weight buffers go
  // back to the OS at once instead of lingering in per-thread malloc arenas (which otherwise
  // swing RSS by tens of MiB between cycles and hide a trend). After 20 warm-up cycles the
  // lowest RSS of cycles 21-30 is compared with the lowest of the last 10: a leak of ~0.6 MiB
  // per cycle or more fails; leaking the weights (19 MiB), the vocabulary or a context per cycle
  // fails many times over.
  const FLOOR_GROWTH_BOUND_MIB = 12;
  // And an absolute ceiling for the whole run (measured: ~270 MiB at the plateau).
  const RSS_CEILING_MIB = 400;

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
      { cwd: repoRoot, encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...steadyMalloc } },
    );
    expect(run.stderr).toBe('');
    const rss = JSON.parse(run.stdout) as number[];
    expect(rss).toHaveLength(CYCLES);
    const early = Math.min(...rss.slice(20, 30));
    const late = Math.min(...rss.slice(CYCLES - 10));
    process.stdout.write(
      `RSS floor: cycles 21-30 ${early.toFixed(1)} MiB, cycles ${CYCLES - 9}-${CYCLES} ${late.toFixed(1)} MiB ` +
        `(growth ${(late - early).toFixed(1)} MiB; all samples ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB)\n`,
    );
    expect(late - early).toBeLessThan(FLOOR_GROWTH_BOUND_MIB);
    expect(Math.max(...rss)).toBeLessThan(RSS_CEILING_MIB);
  }, 300_000);
});

describe('garbage collection', () => {
  const CYCLES = 40;
  const FLOOR_GROWTH_BOUND_MIB = 12;

  test(`models that are dropped without dispose() are freed by GC (${CYCLES} cycles, floor growth < ${FLOOR_GROWTH_BOUND_MIB} MiB)`, () => {
    const run = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        `${registerTypeScript}
        const { loadModel } = require(${JSON.stringify(engineModuleForChildren())});
        const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
        (async () => {
          const rss = [];
          for (let cycle = 1; cycle <= ${CYCLES}; cycle++) {
            let model = await loadModel(process.argv[1], { contextSize: 512, threads: 1 });
            await model.complete('dropped ' + cycle, { temperature: 0, maxTokens: 2 });
            model = undefined;
            // Node-API finalizers run after the collection that found the objects dead.
            global.gc(); await settle(); global.gc(); await settle();
            rss.push(process.memoryUsage().rss / 1048576);
          }
          console.log(JSON.stringify(rss));
        })();`,
        tinyModel(),
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...steadyMalloc } },
    );
    expect(run.stderr).toBe('');
    const rss = JSON.parse(run.stdout) as number[];
    const early = Math.min(...rss.slice(20, 30));
    const late = Math.min(...rss.slice(CYCLES - 10));
    process.stdout.write(`GC: RSS floor cycles 21-30 ${early.toFixed(1)} MiB, cycles ${CYCLES - 9}-${CYCLES} ${late.toFixed(1)} MiB\n`);
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

describe('llama.cpp logging', () => {
  const script = `${registerTypeScript}
    const { loadModel } = require(${JSON.stringify(engineModuleForChildren())});
    loadModel(process.argv[1], { contextSize: 256, threads: 1 }).then((model) => model.dispose());`;

  test('is silent by default', () => {
    const run = runNode(script, [tinyModel()]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  test('CMDAI_LLAMA_LOG=1 shows it on stderr', () => {
    const run = runNode(script, [tinyModel()], { CMDAI_LLAMA_LOG: '1' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('llama_model_loader');
  });
});
