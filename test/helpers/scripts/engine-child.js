// One model's life in a process or worker thread of its own, for the lifecycle tests of both
// engines (test/engine/contract.ts, test/engine/lifecycle.test.ts). It runs the TypeScript
// sources directly (test/engine/transpile-register.js), so no build step is needed.
//
//   node engine-child.js <scenario> <engine> <model> [<load options as JSON>] [<cycles>]
//   new Worker(thisFile, { workerData: { scenario, engine, model, options } })
//
// <engine> is "llama.cpp" or "mlx". What each scenario prints (stdout) or posts (worker):
//   exit-loaded          completes a little, prints "done" and lets the process end with the model loaded
//   exit-mid-generation  calls process.exit(0) from the third streamed piece
//   load-dispose         loads and disposes (what llama.cpp logs meanwhile goes to stderr)
//   cycles N             N load/complete/dispose cycles; prints the RSS (MiB) after each, as JSON
//   dropped N            the same, but each model is dropped without dispose() for GC to free
//   complete             (worker) posts the number of tokens generated
//   generate             (worker) posts "token" for every piece of a long generation, never ending by itself
'use strict';

const path = require('node:path');
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

const repoRoot = path.resolve(__dirname, '..', '..', '..');
require(path.join(repoRoot, 'test', 'engine', 'transpile-register.js'));
const engines = require(path.join(repoRoot, 'lib', 'engine', 'index.ts'));

const input = isMainThread
  ? { scenario: process.argv[2], engine: process.argv[3], model: process.argv[4], options: JSON.parse(process.argv[5] || '{}'), count: Number(process.argv[6]) }
  : workerData;

const loaders = { 'llama.cpp': engines.loadModel, mlx: engines.loadMlxModel };
const load = loaders[input.engine];
if (!load) throw new Error(`unknown engine "${input.engine}" (expected ${Object.keys(loaders).join(' or ')})`);
const loadModel = (options = {}) => load(input.model, { ...input.options, ...options });

const report = (value) => (isMainThread ? console.log(typeof value === 'string' ? value : JSON.stringify(value)) : parentPort.postMessage(value));
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const rssMiB = () => process.memoryUsage().rss / 1048576;

const scenarios = {
  async 'exit-loaded'() {
    const model = await loadModel();
    await model.complete('hi', { temperature: 0, maxTokens: 2 });
    report('done');
  },
  async 'exit-mid-generation'() {
    const model = await loadModel();
    let pieces = 0;
    await model.complete('exit while generating', {
      temperature: 0,
      maxTokens: 400,
      onToken: () => {
        if (++pieces === 3) process.exit(0);
      },
    });
  },
  async 'load-dispose'() {
    const model = await loadModel();
    await model.dispose();
  },
  async cycles() {
    const rss = [];
    for (let cycle = 1; cycle <= input.count; cycle++) {
      const model = await loadModel();
      await model.complete('cycle ' + cycle, { temperature: 0, maxTokens: 2 });
      await model.dispose();
      globalThis.gc();
      rss.push(rssMiB());
    }
    report(rss);
  },
  async dropped() {
    const rss = [];
    for (let cycle = 1; cycle <= input.count; cycle++) {
      let model = await loadModel();
      await model.complete('dropped ' + cycle, { temperature: 0, maxTokens: 2 });
      model = undefined;
      // Node-API finalizers run after the collection that found the objects dead.
      globalThis.gc();
      await settle();
      globalThis.gc();
      await settle();
      rss.push(rssMiB());
    }
    report(rss);
  },
  async complete() {
    const model = await loadModel();
    const completion = await model.complete('from a worker', { temperature: 0, maxTokens: 4 });
    await model.dispose();
    report(completion.timings.generatedTokens);
  },
  async generate() {
    // Thousands of tokens take seconds: the generation is still running when the test stops it.
    const model = await loadModel({ contextSize: 4096 });
    await model.complete('never finishes in time', { temperature: 0, maxTokens: 4000, onToken: () => report('token') });
  },
};

const scenario = scenarios[input.scenario];
if (!scenario) throw new Error(`unknown scenario "${input.scenario}" (expected one of ${Object.keys(scenarios).join(', ')})`);
scenario().catch((err) => {
  if (isMainThread) {
    process.stderr.write(`${err.stack || err}\n`);
    process.exitCode = 1;
  } else {
    parentPort.postMessage('error: ' + err.message);
  }
});
