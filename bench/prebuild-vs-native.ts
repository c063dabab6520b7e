// Prebuilt (distributable) addon vs a GGML_NATIVE build of the same addon, side by side in one run,
// on the performance fixture with the same thread count. Prints prompt and generation tokens/s of
// each and prebuilt/native ratios (target for generation: >= 0.95).
//
//   npm run bench:prebuild -- [--threads N] [--rounds N] [--prompt-tokens N] [--gen-tokens N]
//
// Needs: dist/ (npm run build:ts), build/Release/cmdai.node built with GGML_NATIVE=ON
// (npm run build:native), prebuilds/<platform>-<arch>/ (npm run build:prebuild) and the fixture
// (npm run fixtures -- --perf). Each measurement runs in its own process (the two builds carry
// separate copies of llama.cpp); the same dist/engine loader picks the binary, steered by
// node-gyp-build's PREBUILDS_ONLY. Runs alternate between the two builds so drift in machine load
// hits both alike; the median of the rounds is reported.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Engine from '../lib/engine/types';

const repoRoot = path.resolve(__dirname, ...(__dirname.includes(`${path.sep}build${path.sep}scripts`) ? ['..', '..', '..'] : ['..']));
const perfModel = path.join(repoRoot, 'models', 'test', 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf');
const tuple = `${process.platform}-${process.arch}`;

interface Options {
  threads: number;
  rounds: number;
  promptTokens: number;
  genTokens: number;
}

interface Measurement {
  build: 'native' | 'prebuilt';
  addonPath: string;
  cpuBackend: string;
  promptTokens: number;
  promptTokensPerSecond: number;
  generatedTokens: number;
  generationTokensPerSecond: number;
}

function fail(message: string): never {
  process.stderr.write(`bench:prebuild: ${message}\n`);
  process.exit(1);
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { threads: Math.min(os.availableParallelism(), 8), rounds: 3, promptTokens: 256, genTokens: 128 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = Number(argv[i + 1]);
    const field = ({ '--threads': 'threads', '--rounds': 'rounds', '--prompt-tokens': 'promptTokens', '--gen-tokens': 'genTokens' } as const)[key];
    if (!field) fail(`unknown option ${key}; use --threads, --rounds, --prompt-tokens or --gen-tokens with a number`);
    if (!Number.isInteger(value) || value < 1) fail(`${key} needs a positive integer, got ${argv[i + 1] ?? 'nothing'}`);
    opts[field] = value;
    i++;
  }
  return opts;
}

/** Which addon and which ggml CPU backend library this process mapped (Linux: /proc/self/maps). */
function loadedLibraries(): { addon: string; cpuBackend: string } {
  if (process.platform !== 'linux') return { addon: 'unknown', cpuBackend: 'unknown' };
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const paths = new Set(maps.split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter((p) => p.startsWith('/')));
  const addon = [...paths].find((p) => p.endsWith('.node') && path.basename(p).startsWith('cmdai')) ?? 'none';
  const cpu = [...paths].find((p) => /libggml-cpu-[^/]*\.so$/.test(p));
  return { addon, cpuBackend: cpu ? path.basename(cpu) : 'built in (static)' };
}

async function child(build: Measurement['build'], opts: Options): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engine = require(path.join(repoRoot, 'dist', 'engine')) as { loadModel(p: string, o?: Engine.LoadModelOptions): Promise<Engine.Model> };
  const model = await engine.loadModel(perfModel, { threads: opts.threads, contextSize: 2048, batchSize: 512 });
  try {
    // A prompt of the requested length made of ordinary words (the weights are random anyway).
    const words = 'list every file in this folder larger than one hundred megabytes and sort them by size '.repeat(64);
    const ids = model.tokenize(words, { addSpecial: false }).slice(0, opts.promptTokens);
    const prompt = model.detokenize(ids);
    await model.complete(prompt.slice(0, 200), { maxTokens: 8, temperature: 0 }); // warm-up: caches, threads
    const result = await model.complete(prompt, { maxTokens: opts.genTokens, temperature: 0 });
    const t = result.timings;
    const libs = loadedLibraries();
    const m: Measurement = {
      build,
      addonPath: libs.addon,
      cpuBackend: libs.cpuBackend,
      promptTokens: t.promptTokens - t.cachedTokens,
      promptTokensPerSecond: ((t.promptTokens - t.cachedTokens) / t.promptMs) * 1000,
      generatedTokens: t.generatedTokens,
      generationTokensPerSecond: (t.generatedTokens / t.generationMs) * 1000,
    };
    process.stdout.write(`${JSON.stringify(m)}\n`);
  } finally {
    await model.dispose();
  }
}

function measure(build: Measurement['build'], opts: Options): Measurement {
  const env = { ...process.env };
  if (build === 'prebuilt') env.PREBUILDS_ONLY = '1';
  else delete env.PREBUILDS_ONLY;
  const r = spawnSync(process.execPath, [__filename, '--child', build, JSON.stringify(opts)], { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) fail(`the ${build} run failed (exit ${r.status}):\n${r.stderr.trim().split('\n').slice(-20).join('\n')}`);
  const m = JSON.parse(line) as Measurement;
  const expected = build === 'prebuilt' ? `${path.sep}prebuilds${path.sep}${tuple}${path.sep}` : `${path.sep}build${path.sep}Release${path.sep}`;
  if (process.platform === 'linux' && !m.addonPath.includes(expected)) fail(`the ${build} run loaded ${m.addonPath}, not an addon under ${expected}`);
  if (m.generatedTokens < Math.min(32, opts.genTokens)) fail(`the ${build} run generated only ${m.generatedTokens} tokens; too few to time`);
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function checkPrerequisites(): void {
  if (!fs.existsSync(perfModel)) fail(`${path.relative(repoRoot, perfModel)} is missing; run \`npm run fixtures -- --perf\`.`);
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'engine', 'index.js'))) fail('dist/engine is missing; run `npm run build:ts`.');
  if (!fs.existsSync(path.join(repoRoot, 'prebuilds', tuple, 'prebuild.json'))) fail(`prebuilds/${tuple} is missing; run \`npm run build:prebuild\`.`);
  if (!fs.existsSync(path.join(repoRoot, 'build', 'Release', 'cmdai.node'))) fail('build/Release/cmdai.node is missing; run `npm run build:native`.');
  const cache = path.join(repoRoot, 'build', 'CMakeCache.txt');
  const nativeOn = fs.existsSync(cache) && /^GGML_NATIVE:BOOL=ON$/m.test(fs.readFileSync(cache, 'utf8'));
  if (!nativeOn) fail('build/Release/cmdai.node is not a GGML_NATIVE build (build/CMakeCache.txt); rebuild with `npm run build:native`.');
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  checkPrerequisites();
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'prebuilds', tuple, 'prebuild.json'), 'utf8')) as { addon: string };
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`prebuilt ${tuple}/${manifest.addon} vs native build/Release/cmdai.node`);
  console.log(`${path.basename(perfModel)}, ${opts.threads} threads, ${opts.promptTokens} prompt tokens, ${opts.genTokens} generated, ${opts.rounds} rounds, ${cpu}`);

  const runs: Measurement[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order: Array<Measurement['build']> = round % 2 === 0 ? ['native', 'prebuilt'] : ['prebuilt', 'native'];
    for (const build of order) {
      const m = measure(build, opts);
      runs.push(m);
      console.log(`  round ${round + 1} ${build.padEnd(8)} prompt ${m.promptTokensPerSecond.toFixed(1).padStart(7)} t/s   generation ${m.generationTokensPerSecond.toFixed(2).padStart(6)} t/s   (${m.generatedTokens} tokens, CPU backend: ${m.cpuBackend})`);
    }
  }

  const summary = (build: Measurement['build']) => {
    const rs = runs.filter((r) => r.build === build);
    return { prompt: median(rs.map((r) => r.promptTokensPerSecond)), generation: median(rs.map((r) => r.generationTokensPerSecond)) };
  };
  const native = summary('native');
  const prebuilt = summary('prebuilt');
  console.log('');
  console.log('                 prompt t/s   generation t/s   (medians)');
  console.log(`  native         ${native.prompt.toFixed(1).padStart(10)}   ${native.generation.toFixed(2).padStart(14)}`);
  console.log(`  prebuilt       ${prebuilt.prompt.toFixed(1).padStart(10)}   ${prebuilt.generation.toFixed(2).padStart(14)}`);
  const genRatio = prebuilt.generation / native.generation;
  console.log(`  ratio          ${(prebuilt.prompt / native.prompt).toFixed(3).padStart(10)}   ${genRatio.toFixed(3).padStart(14)}   (prebuilt / native; generation target >= 0.95: ${genRatio >= 0.95 ? 'met' : 'NOT met'})`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Measurement['build'], JSON.parse(process.argv[4]) as Options).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  main();
}
