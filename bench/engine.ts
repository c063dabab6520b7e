// Engine benchmark: cmdai/engine next to llama.cpp's llama-bench on the same file, same
// threads, same machine, in one run. Prints prompt-processing and generation tokens/s, their
// ratios, and cmdai's peak resident memory against the budget (model file + 300 MiB).
//
//   npm run bench                      (or: node build/scripts/bench/engine.js [--rounds N])
//
// The rounds interleave the two engines (llama-bench, then cmdai, then llama-bench, ...) so a
// neighbour's load on the shared machine hurts both sides alike. Nothing here fails on a slow
// result; it only fails when the fixture, the tools or the engine are missing.
//
// Both sides run with the same OMP_WAIT_POLICY, "passive" unless the environment sets one.
// ggml's CPU backend is built with OpenMP here, and with exactly as many threads as cores
// libgomp spin-waits at every barrier: when a neighbour preempts one thread, the other spins
// through its time slice and generation collapses (measured: llama-bench tg16 with 2 threads
// at ~1 t/s with the default policy, ~11 t/s with "passive", on this shared 2-core machine).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { LoadModelOptions, Model } from '../lib/engine/types';

const repoRoot = findRepoRoot(__dirname);
const fixture = path.join(repoRoot, 'models', 'test', 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf');
const llamaBench = path.join(repoRoot, 'deps', 'build-tools', 'bin', 'llama-bench');

const THREADS = 2;
const PROMPT_TOKENS = 512;
const GENERATED_TOKENS = 128;
const BATCH_SIZE = 512;
const RSS_HEADROOM_BYTES = 300 * 2 ** 20;

// Set before the addon (and with it libgomp, which reads it once) is loaded; children inherit it.
const ompWaitPolicy = (process.env.OMP_WAIT_POLICY ||= 'passive');

interface Speeds {
  promptTps: number;
  generationTps: number;
  /** Tokens actually generated (a random model may hit end-of-generation early). */
  generated: number;
}

function fail(message: string): never {
  console.error(`bench/engine: ${message}`);
  process.exit(1);
}

function findRepoRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

function parseRounds(argv: string[]): number {
  const at = argv.indexOf('--rounds');
  if (at < 0) return 3;
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) fail(`--rounds needs a positive integer, got ${argv[at + 1]}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// llama-bench

interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
  flash_attn?: unknown;
  n_batch?: number;
  n_ubatch?: number;
  type_k?: string;
}

interface LlamaBenchResult {
  promptTps: number;
  generationTps: number;
  config: string;
  /** Peak resident memory of the llama-bench process (Linux only; 0 elsewhere). */
  peakRss: number;
}

/** The VmHWM (peak RSS) of a running process in bytes, or 0 when it cannot be read. */
function peakRssOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function runLlamaBench(): Promise<LlamaBenchResult> {
  const args = ['-m', fixture, '-p', String(PROMPT_TOKENS), '-n', String(GENERATED_TOKENS), '-t', String(THREADS), '-r', '1', '-o', 'json'];
  const child = spawn(llamaBench, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // The peak only grows, so the last reading before exit is (close to) the final one.
  let peakRss = 0;
  const poll = setInterval(() => (peakRss = Math.max(peakRss, peakRssOf(child.pid ?? 0))), 50);
  const status = await new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  clearInterval(poll);
  if (typeof status === 'string') fail(`could not run ${llamaBench}: ${status}`);
  if (status !== 0) fail(`llama-bench exited with ${status}:\n${stderr.split('\n').slice(-10).join('\n')}`);
  let rows: LlamaBenchRow[];
  try {
    rows = JSON.parse(stdout);
  } catch {
    fail(`llama-bench printed something that is not JSON:\n${stdout.slice(0, 500)}`);
  }
  const pp = rows.find((r) => r.n_prompt === PROMPT_TOKENS && r.n_gen === 0);
  const tg = rows.find((r) => r.n_prompt === 0 && r.n_gen === GENERATED_TOKENS);
  if (!pp || !tg) fail(`llama-bench JSON lacks the pp${PROMPT_TOKENS} or tg${GENERATED_TOKENS} row`);
  const config = `flash_attn=${String(pp.flash_attn)} n_batch=${pp.n_batch} n_ubatch=${pp.n_ubatch} type_k=${pp.type_k}`;
  return { promptTps: pp.avg_ts, generationTps: tg.avg_ts, config, peakRss };
}

// ---------------------------------------------------------------------------------------------
// cmdai

interface EngineModule {
  loadModel(file: string, opts?: LoadModelOptions): Promise<Model>;
}

function loadEngine(): EngineModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the published entry point, as a user gets it (dist/, built by `npm run build:ts`)
    return require('cmdai/engine') as EngineModule;
  } catch (err) {
    fail(`cannot load cmdai/engine (${(err as Error).message.split('\n')[0]}); run \`npm run build:ts\` and \`npm run build:native\``);
  }
}

// Common English words that are each one Qwen2 token with their leading space, so the prompt
// length is exact; the rotation makes every round's prompt different (no prefix reuse).
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which ' +
  'but have an they you were her she there one all we their can has more will would about if ' +
  'up out them some time only new may into than its also two other what after first any'
).split(' ');

function exactPrompt(model: Model, round: number): string {
  const words: string[] = [];
  for (let i = 0; i < PROMPT_TOKENS; i++) words.push(WORDS[(i * 7 + round * 13) % WORDS.length]);
  const prompt = words.map((w) => ` ${w}`).join('');
  const count = model.tokenize(prompt, { addSpecial: true, parseSpecial: false }).length;
  if (count !== PROMPT_TOKENS) fail(`the benchmark prompt is ${count} tokens, expected ${PROMPT_TOKENS}`);
  return prompt;
}

async function runCmdai(model: Model, round: number): Promise<Speeds> {
  const pp = await model.complete(exactPrompt(model, round), { maxTokens: 1, temperature: 0 });
  const computed = pp.timings.promptTokens - pp.timings.cachedTokens;
  if (computed !== PROMPT_TOKENS) fail(`cmdai computed ${computed} prompt tokens, expected ${PROMPT_TOKENS}`);
  const tg = await model.complete(WORDS[round % WORDS.length], { maxTokens: GENERATED_TOKENS, temperature: 0 });
  return {
    promptTps: (computed / pp.timings.promptMs) * 1000,
    generationTps: (tg.timings.generatedTokens / tg.timings.generationMs) * 1000,
    generated: tg.timings.generatedTokens,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function stddev(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
/** Per-round ratios pair measurements taken seconds apart, so a busy spell cancels out. */
const pairedRatio = (ours: number[], ref: number[]) => median(ours.map((x, i) => x / ref[i]));
const fmt = (xs: number[]) => `${mean(xs).toFixed(2)} ± ${stddev(xs).toFixed(2)}`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const rounds = parseRounds(process.argv.slice(2));
  if (!fs.existsSync(fixture)) fail(`${path.relative(repoRoot, fixture)} is missing; run \`npm run fixtures -- --perf\``);
  if (!fs.existsSync(llamaBench)) fail(`${path.relative(repoRoot, llamaBench)} is missing; run \`npm run build:tools\``);
  const engine = loadEngine();
  const fileSize = fs.statSync(fixture).size;

  console.log(`engine benchmark: ${path.relative(repoRoot, fixture)} (${mib(fileSize)}), ${THREADS} threads, ` +
    `pp${PROMPT_TOKENS} / tg${GENERATED_TOKENS}, ${rounds} interleaved rounds`);

  const model = await engine.loadModel(fixture, {
    threads: THREADS,
    batchSize: BATCH_SIZE,
    contextSize: PROMPT_TOKENS + GENERATED_TOKENS + 64,
  });
  const rssAfterLoad = process.memoryUsage.rss();
  const ours: Speeds[] = [];
  const theirs: LlamaBenchResult[] = [];
  let referenceConfig = '';
  try {
    await runCmdai(model, rounds); // warm-up: page the weights in, as llama-bench's warm-up run does
    for (let round = 0; round < rounds; round++) {
      const ref = await runLlamaBench();
      referenceConfig = ref.config;
      theirs.push(ref);
      ours.push(await runCmdai(model, round));
      process.stderr.write(`  round ${round + 1}/${rounds}: cmdai pp ${ours[round].promptTps.toFixed(1)} tg ${ours[round].generationTps.toFixed(1)}; ` +
        `llama-bench pp ${ref.promptTps.toFixed(1)} tg ${ref.generationTps.toFixed(1)}\n`);
    }
  } finally {
    await model.dispose();
  }
  // ru_maxrss of this process only: llama-bench runs as a child and is not counted.
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const budget = fileSize + RSS_HEADROOM_BYTES;

  const ppOurs = ours.map((s) => s.promptTps);
  const ppRef = theirs.map((s) => s.promptTps);
  const tgOurs = ours.map((s) => s.generationTps);
  const tgRef = theirs.map((s) => s.generationTps);
  const rows = [
    ['', 'cmdai', 'llama-bench', 'ratio of means', 'median round ratio'],
    [`prompt pp${PROMPT_TOKENS} (t/s)`, fmt(ppOurs), fmt(ppRef), (mean(ppOurs) / mean(ppRef)).toFixed(3), pairedRatio(ppOurs, ppRef).toFixed(3)],
    [`generation tg${GENERATED_TOKENS} (t/s)`, fmt(tgOurs), fmt(tgRef), (mean(tgOurs) / mean(tgRef)).toFixed(3), pairedRatio(tgOurs, tgRef).toFixed(3)],
    ['peak RSS', mib(peakRss), mib(Math.max(...theirs.map((t) => t.peakRss))), `${(peakRss / budget).toFixed(3)} of budget`, ''],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log('');
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   '));
  console.log('');
  console.log(`RSS budget (file + 300 MiB): ${mib(budget)}; cmdai RSS right after load: ${mib(rssAfterLoad)}`);
  console.log(`llama-bench settings: ${referenceConfig}; cmdai: threads=${THREADS} batchSize=${BATCH_SIZE}; ` +
    `both: OMP_WAIT_POLICY=${ompWaitPolicy}`);
  const short = ours.filter((s) => s.generated < GENERATED_TOKENS);
  if (short.length > 0) {
    console.log(`note: cmdai hit end-of-generation early in ${short.length} round(s) ` +
      `(${short.map((s) => s.generated).join(', ')} tokens); its tg rate is over those tokens`);
  }
  console.log(`targets: both ratios of means >= 0.97 (${mean(ppOurs) / mean(ppRef) >= 0.97 && mean(tgOurs) / mean(tgRef) >= 0.97 ? 'met' : 'NOT met'}), ` +
    `peak RSS <= file + 300 MiB (${peakRss <= budget ? 'met' : 'NOT met'})`);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
