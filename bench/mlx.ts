// MLX engine benchmark: generation (and prompt) tokens/s of the MLX engine on this machine's
// CPU next to the llama.cpp engine, on the same random weights (the MLX fixture folders and
// their float32 GGUF twin), in one run with interleaved rounds.
//
//   npm run bench -- mlx [--rounds N] [--tokens N]
//
// A figure, not a target: MLX is built for Apple's Metal GPU; on Linux it runs its CPU backend.
// Nothing here fails on a slow result, only when the fixtures or an engine are missing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadModelOptions, Model } from '../lib/engine/types';

type Load = (file: string, opts?: LoadModelOptions) => Promise<Model>;

function findRepoRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

const repoRoot = findRepoRoot(__dirname);
const fixtures = path.join(repoRoot, 'models', 'test');
const THREADS = 2;
const PROMPT =
  '<|im_start|>system\nYou translate requests into one shell command.<|im_end|>\n' +
  '<|im_start|>user\nfind all files larger than 100MB in my home directory and list them by size, ' +
  'largest first, without crossing into other file systems<|im_end|>\n<|im_start|>assistant\n';

function fail(message: string): never {
  console.error(`bench/mlx: ${message}`);
  process.exit(1);
}

function option(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) fail(`${name} needs a positive integer, got ${argv[at + 1]}`);
  return n;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Contender { label: string; model: Model; prompt: number[]; generation: number[]; generated: number[] }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = option(argv, '--rounds', 3);
  const tokens = option(argv, '--tokens', 128);

  const floatDir = path.join(fixtures, 'mlx-tiny-qwen2');
  const quantDir = path.join(fixtures, 'mlx-tiny-qwen2-4bit');
  const gguf = path.join(fixtures, 'mlx-tiny-qwen2.gguf');
  for (const f of [floatDir, quantDir, gguf]) {
    if (!fs.existsSync(f)) fail(`${path.relative(repoRoot, f)} is missing; run \`npm run fixtures:mlx\` first.`);
  }
  // The compiled package (dist/), as users get it.
  const mlxEngine = path.join(repoRoot, 'dist', 'engine', 'mlx', 'index.js');
  if (!fs.existsSync(mlxEngine)) fail('dist/engine/mlx is missing; run `npm run build:ts` (npm run bench does).');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled package, found at run time
  const { loadMlxModel, loadMlxAddon } = require(mlxEngine) as { loadMlxModel: Load; loadMlxAddon: () => { addon: { device: string } | null; reason?: string } };
  const addon = loadMlxAddon();
  if (!addon.addon) fail(addon.reason ?? 'the MLX addon is missing');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the published entry point, as a user gets it
  const { loadModel } = require('cmdai/engine') as { loadModel: Load };

  const contenders: Contender[] = [];
  const add = async (label: string, load: Promise<Model>) =>
    contenders.push({ label, model: await load, prompt: [], generation: [], generated: [] });
  await add(`MLX (${addon.addon.device}), float32 folder`, loadMlxModel(floatDir, { contextSize: 1024 }));
  await add(`MLX (${addon.addon.device}), 4-bit folder`, loadMlxModel(quantDir, { contextSize: 1024 }));
  await add(`llama.cpp, ${THREADS} threads, F32 GGUF`, loadModel(gguf, { contextSize: 1024, threads: THREADS }));

  const promptTokens = contenders[2].model.tokenize(PROMPT).length;
  console.log(`tiny random Qwen2 (${contenders[0].model.info.parameters.toLocaleString('en')} parameters), prompt ${promptTokens} tokens, ` +
    `${tokens} generated tokens, greedy, ${rounds} interleaved rounds (median shown)`);

  for (const c of contenders) await c.model.complete(PROMPT, { maxTokens: 4, temperature: 0 }); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      const { timings } = await c.model.complete(PROMPT, { maxTokens: tokens, temperature: 0 });
      c.prompt.push((timings.promptTokens / timings.promptMs) * 1000);
      // Both engines time generation the same way: from the end of the prompt pass to the last token.
      c.generation.push((timings.generatedTokens / timings.generationMs) * 1000);
      c.generated.push(timings.generatedTokens);
    }
  }

  const reference = median(contenders[2].generation);
  const referencePrompt = median(contenders[2].prompt);
  const rows = contenders.map((c) => [
    c.label,
    median(c.prompt).toFixed(0),
    median(c.generation).toFixed(1),
    (median(c.generation) / reference).toFixed(2),
    (median(c.prompt) / referencePrompt).toFixed(2),
    String(median(c.generated)),
  ]);
  const header = ['engine', 'prompt tok/s', 'generation tok/s', 'gen ratio vs llama.cpp', 'prompt ratio', 'tokens'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));

  for (const c of contenders) await c.model.dispose();
}

main().catch((err: unknown) => fail((err as Error).message));
