// Time to first token with and without the cached system prompt, on the performance fixture
// (models/test/perf-qwen2.5-coder-1.5b-q4_k_m.gguf). Each round starts with an empty cache
// directory and runs the same request twice, each in its own `cmdai` process: the first computes
// the system prompt's KV state and saves it; the second restores it from the file, so only the
// user's words are processed. Target: second / first <= 0.35.
//
//   npm run bench -- ttft [--rounds 3] [--model path.gguf]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argValue, findRepoRoot } from './cli-args';



const repoRoot = findRepoRoot(__dirname);
const cli = path.join(repoRoot, 'bin', 'cmdai.js');
const model = argValue('--model') ?? path.join(repoRoot, 'models', 'test', 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf');
const ROUNDS = Number(argValue('--rounds') ?? 3);
const REQUEST = 'find all files larger than 100MB in my home directory';
const TARGET = 0.35;

interface Run {
  promptTokens?: number;
  cachedPromptTokens?: number;
  timeToFirstToken: number;
  prompt: number;
  load: number;
  command: string;
}

function runOnce(home: string): Run {
  const result = spawnSync(process.execPath, [cli, '--model', model, '--shell', 'bash', '--max-tokens', '96', '--json', REQUEST], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), LANG: 'C.UTF-8', CMDAI_KEEP_ALIVE: '0' },
  });
  if (result.status !== 0) throw new Error(`cmdai failed (exit ${result.status}): ${result.stderr}`);
  const parsed = JSON.parse(result.stdout);
  return { ...parsed.timings, command: parsed.command };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  if (!fs.existsSync(model)) throw new Error(`Model not found: ${model} (run \`npm run fixtures -- --perf\`)`);
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  console.log(`time to first token, ${path.basename(model)}, request "${REQUEST}", ${ROUNDS} rounds, separate processes`);
  console.log('round   first run: ttft ms (prompt ms)   second run: ttft ms (prompt ms)   second/first');
  const ratios: number[] = [];
  const firsts: number[] = [];
  const seconds: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-ttft-'));
    try {
      const first = runOnce(home);
      const cacheDir = path.join(home, '.cache', 'cmdai', 'prompt-cache');
      const cached = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : [];
      if (cached.length === 0) throw new Error('the first run left no prompt cache file');
      const second = runOnce(home);
      const ratio = second.timeToFirstToken / first.timeToFirstToken;
      ratios.push(ratio);
      firsts.push(first.timeToFirstToken);
      seconds.push(second.timeToFirstToken);
      console.log(
        `${String(round).padEnd(8)}${`${first.timeToFirstToken.toFixed(1)} (${first.prompt.toFixed(1)})`.padEnd(34)}${`${second.timeToFirstToken.toFixed(1)} (${second.prompt.toFixed(1)})`.padEnd(34)}${ratio.toFixed(3)}`,
      );
      console.log(`        prompt tokens ${first.promptTokens} (cached ${first.cachedPromptTokens}) then ${second.promptTokens} (cached ${second.cachedPromptTokens})`);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  const ratio = median(ratios);
  console.log(
    `median: first ${median(firsts).toFixed(1)} ms, second ${median(seconds).toFixed(1)} ms, ratio ${ratio.toFixed(3)} ` +
      (ratio <= TARGET ? `(within ${TARGET})` : `(ABOVE ${TARGET})`),
  );
}

main();
