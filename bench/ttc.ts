// Time to command: what a user feels from Enter to the command on the screen, on the
// performance fixture, each run a separate `cmdai --print` process with a bounded answer
// (--max-tokens 60), in interleaved rounds:
//   (a) in-process, no system-prompt cache file (it is deleted before each run)
//   (b) in-process, with the cache file
//   (c) resident: a background cmdai server already has the model loaded
// Wall time from spawn to the first character of the command on stdout, and to exit. Targets:
// (c) first character <= 0.25x of (b); (b) and (c) are also shown in seconds, with the caveat
// that the machine is shared. Also: peak anonymous memory (RssAnon, sampled) of the in-process
// CLI and of the server against the model file size + 300 MB, and the model load time with and
// without mmap next to llama-simple on the same file.
//
//   npm run bench -- ttc [--rounds 5] [--model path.gguf] [--llama-simple path] [--llama-bench path] [--no-load] [--no-openmp]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argValue, findRepoRoot } from './cli-args';
import { OPENMP_SPIN_COUNT } from '../lib/engine/binding';
import type { ServerStatus } from '../lib/server/protocol';



const repoRoot = findRepoRoot(__dirname);
const cli = path.join(repoRoot, 'bin', 'cmdai.js');
const model = path.resolve(argValue('--model') ?? path.join(repoRoot, 'models', 'test', 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf'));
const ROUNDS = Number(argValue('--rounds') ?? 5);
const REQUEST = 'find all files larger than 100MB in my home directory';
// (c'): requests the server has not just answered, of about the same length, one per round, so
// its KV cache cannot hold the request itself (with the same request every time it does).
const OTHER_REQUESTS = [
  'show the ten biggest folders under the current directory',
  'count the lines of every python file in this project',
  'list processes listening on a tcp port with their names',
  'compress the logs folder into a dated tar archive',
  'find text files changed in the last two days here',
];
const MB = 1024 * 1024;

interface Timed {
  firstCharMs: number;
  exitMs: number;
  peakAnonBytes: number;
  stdout: string;
  /** From the --verbose line: prompt tokens evaluated (not restored from a cache) and tokens generated. */
  evaluatedTokens?: number;
  generatedTokens?: number;
}

/** Token counts from `cmdai --verbose`'s timing line. */
function tokenCounts(stderr: string): Pick<Timed, 'evaluatedTokens' | 'generatedTokens'> {
  const evaluated = /prompt [\d.]+ ms \((\d+) of \d+ tokens evaluated|prompt [\d.]+ ms \((\d+) tokens\)/.exec(stderr);
  const generated = /generation [\d.]+ ms \((\d+) tokens\)/.exec(stderr);
  return {
    evaluatedTokens: evaluated ? Number(evaluated[1] ?? evaluated[2]) : undefined,
    generatedTokens: generated ? Number(generated[1]) : undefined,
  };
}

function rssAnon(pid: number): number | undefined {
  try {
    const match = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns `cmdai --print`, timing the first stdout byte and the exit, sampling RssAnon every 10 ms. */
function timeCli(env: NodeJS.ProcessEnv, request = REQUEST): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, '--model', model, '--shell', 'bash', '--max-tokens', '60', '--print', '--verbose', request], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstCharMs = -1;
    let stdout = '';
    let stderr = '';
    let peakAnonBytes = 0;
    const sampler = setInterval(() => {
      const anon = child.pid ? rssAnon(child.pid) : undefined;
      if (anon !== undefined) peakAnonBytes = Math.max(peakAnonBytes, anon);
    }, 10);
    child.stdout.on('data', (data: Buffer) => {
      if (firstCharMs < 0) firstCharMs = performance.now() - started;
      stdout += data;
    });
    child.stderr.on('data', (data: Buffer) => (stderr += data));
    child.on('exit', (code) => {
      clearInterval(sampler);
      const exitMs = performance.now() - started;
      if (code !== 0 || firstCharMs < 0) reject(new Error(`cmdai failed (exit ${code}): ${stderr}`));
      else resolve({ firstCharMs, exitMs, peakAnonBytes, stdout, ...tokenCounts(stderr) });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function envFor(home: string, keepAlive: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    LANG: 'C.UTF-8',
    CMDAI_KEEP_ALIVE: keepAlive,
    // What a user gets: OpenMP's own wait policy unless the caller of the bench sets one.
    ...(process.env.OMP_WAIT_POLICY ? { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY } : {}),
  };
}

type ServerFigures = Pick<ServerStatus, 'pid' | 'memory' | 'lastRequest'>;

function serverStatus(env: NodeJS.ProcessEnv): ServerFigures | undefined {
  const result = spawnSync(process.execPath, [cli, 'serve', '--status', '--json'], { env, encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return (JSON.parse(result.stdout) as { status: ServerFigures }).status;
}

/** A resident run's token counts, from the server (its client cut the stream before the usage chunk). */
function withServerCounts(run: Timed, env: NodeJS.ProcessEnv): Timed {
  const last = serverStatus(env)?.lastRequest;
  if (last?.promptTokens === undefined || last.cachedTokens === undefined) return run;
  return { ...run, evaluatedTokens: last.promptTokens - last.cachedTokens, generatedTokens: last.generatedTokens };
}

/**
 * The load modes side by side, each in its own process (bench/probes/load-mode.js): load time,
 * anonymous memory after the load, and the speed the mode leaves for a request's uncached prompt
 * (~30 tokens) and its tokens; next to llama-simple's whole run (load + one token) on the same file.
 * "cost of a request" = load + prompt + 10 tokens: what an in-process call pays before its command.
 */
function loadModes(rounds: number): void {
  const engine = path.join(repoRoot, 'dist', 'engine', 'index.js');
  const probe = path.join(repoRoot, 'bench', 'probes', 'load-mode.js');
  const modes: Array<{ name: string; args: string[] }> = [
    { name: 'mmap, repacked (llama.cpp default)', args: ['mmap', 'repack'] },
    { name: 'mmap, not repacked', args: ['mmap', 'no-repack'] },
    { name: 'read, repacked', args: ['read', 'repack'] },
  ];
  interface Probe { loadMs: number; anonBytes: number; promptMs: number; promptTokens: number; tokenMs: number }
  const rows = new Map<string, Probe[]>(modes.map((mode) => [mode.name, []]));
  const simple = argValue('--llama-simple') ?? path.join(repoRoot, 'deps', 'build-tools', 'bin', 'llama-simple');
  const simpleMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      const run = spawnSync(process.execPath, [probe, engine, model, ...mode.args], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`engine load (${mode.name}) failed: ${run.stderr}`);
      rows.get(mode.name)!.push(JSON.parse(run.stdout) as Probe);
    }
    if (fs.existsSync(simple)) {
      // llama-simple prints no load time of its own: its whole run (load + one token) is timed.
      const started = performance.now();
      const run = spawnSync(simple, ['-m', model, '-n', '1', 'hello'], { encoding: 'utf8' });
      if (run.status === 0) simpleMs.push(performance.now() - started);
    }
  }
  console.log(`
load modes (median of ${rounds} rounds, 2 threads)   load ms   RssAnon   prompt (tokens)   ms/token   cost of a request`);
  let best = '';
  let bestCost = Infinity;
  for (const [name, probes] of rows) {
    const pick = (f: (p: Probe) => number) => median(probes.map(f));
    const cost = pick((p) => p.loadMs + p.promptMs + 10 * p.tokenMs);
    if (cost < bestCost) [best, bestCost] = [name, cost];
    console.log(`  ${name.padEnd(36)} ${pick((p) => p.loadMs).toFixed(0).padStart(7)} ${`${(pick((p) => p.anonBytes) / MB).toFixed(0)} MB`.padStart(9)}   ` +
      `${pick((p) => p.promptMs).toFixed(0).padStart(6)} ms (${probes[0].promptTokens})   ${pick((p) => p.tokenMs).toFixed(1).padStart(8)}   ${cost.toFixed(0).padStart(8)} ms`);
  }
  if (simpleMs.length) console.log(`  ${'llama-simple (whole run)'.padEnd(36)} ${median(simpleMs).toFixed(0).padStart(7)}`);
  console.log(`  cheapest for one in-process request: ${best}`);
  vocabularyShare(rounds, probe, engine);
}

/**
 * How much of a load is llama.cpp reading the vocabulary (152k tokens, 151k merges for Qwen2):
 * the engine loading the vocabulary only, next to llama.cpp's llama-tokenize (which loads only
 * the vocabulary) run whole on the same file.
 */
function vocabularyShare(rounds: number, probe: string, engine: string): void {
  const ours: number[] = [];
  const tokenizeMs: number[] = [];
  const tokenize = path.join(repoRoot, 'deps', 'build-tools', 'bin', 'llama-tokenize');
  for (let round = 0; round < rounds; round++) {
    const run = spawnSync(process.execPath, [probe, engine, model, 'vocab', 'no-repack'], { encoding: 'utf8' });
    if (run.status === 0) ours.push((JSON.parse(run.stdout) as { loadMs: number }).loadMs);
    if (fs.existsSync(tokenize)) {
      const started = performance.now();
      const ref = spawnSync(tokenize, ['-m', model, '-p', 'hello', '--log-disable'], { encoding: 'utf8' });
      if (ref.status === 0) tokenizeMs.push(performance.now() - started);
    }
  }
  if (ours.length) console.log(`  of a load, the vocabulary alone (vocabOnly) ${median(ours).toFixed(0).padStart(7)} ms`);
  if (tokenizeMs.length) console.log(`  llama-tokenize (vocabulary only, whole run) ${median(tokenizeMs).toFixed(0).padStart(6)} ms`);
}

/**
 * The reference for a run's model work: llama.cpp's own llama-bench, in this run, evaluating as
 * many prompt tokens and generating as many tokens as the median (b) and (c) runs did. Their sum
 * is what llama.cpp needs for that work on this machine, without process start, loading or
 * sampling with a grammar: the floor under (c), and under (b) less its load.
 */
function llamaFloor(label: string, runs: Timed[]): void {
  const bench = argValue('--llama-bench') ?? path.join(repoRoot, 'deps', 'build-tools', 'bin', 'llama-bench');
  const evaluated = runs.map((t) => t.evaluatedTokens).filter((n): n is number => n !== undefined);
  const generated = runs.map((t) => t.generatedTokens).filter((n): n is number => n !== undefined);
  if (!fs.existsSync(bench) || evaluated.length === 0 || generated.length === 0) {
    console.log(`  ${label}: no llama-bench reference (${fs.existsSync(bench) ? 'no token counts from --verbose' : `${bench} missing: npm run build:tools`})`);
    return;
  }
  // 0 evaluated: the server had the whole prompt and the logits after it (the same request again).
  const p = Math.max(0, Math.round(median(evaluated)));
  const n = Math.max(1, Math.round(median(generated)));
  const run = spawnSync(bench, ['-m', model, '-t', '2', '-p', String(p), '-n', String(n), '-r', '3', '-o', 'json'], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.log(`  ${label}: llama-bench failed (${run.stderr.trim().split('\n').pop()})`);
    return;
  }
  const results = JSON.parse(run.stdout) as Array<{ n_prompt: number; n_gen: number; avg_ts: number }>;
  const pp = results.find((r) => r.n_prompt > 0)?.avg_ts ?? NaN;
  const tg = results.find((r) => r.n_gen > 0)?.avg_ts ?? NaN;
  const floorMs = ((p > 0 ? p / pp : 0) + n / tg) * 1000;
  const firstChar = median(runs.map((t) => t.firstCharMs));
  console.log(`  ${label}: ${p} prompt tokens evaluated + ${n} generated; llama-bench here: ${p > 0 ? `${pp.toFixed(1)} t/s prompt, ` : ''}${tg.toFixed(1)} t/s generation ` +
    `-> ${floorMs.toFixed(0)} ms of model work; cmdai's first character ${firstChar.toFixed(0)} ms = ${(firstChar / floorMs).toFixed(2)}x that`);
}

/**
 * llama.cpp's CPU threads wait for each other through OpenMP (libgomp). Its default polls for a
 * long time before sleeping; cmdai sets a short poll (lib/engine/binding.ts, OPENMP_SPIN_COUNT).
 * Prompt and generation speed of the engine with each, on an idle machine and with two busy
 * processes taking the cores (what a user compiling something meanwhile has).
 */
function openMpWaiting(rounds: number): void {
  const engine = path.join(repoRoot, 'dist', 'engine', 'index.js');
  const probe = path.join(repoRoot, 'bench', 'probes', 'load-mode.js');
  const policies: Array<{ name: string; env: NodeJS.ProcessEnv }> = [
    { name: "libgomp's default (GOMP_SPINCOUNT=300000)", env: { GOMP_SPINCOUNT: '300000' } },
    { name: `cmdai's (GOMP_SPINCOUNT=${OPENMP_SPIN_COUNT})`, env: {} },
    { name: 'passive (OMP_WAIT_POLICY=passive)', env: { OMP_WAIT_POLICY: 'passive' } },
  ];
  const base = { ...process.env };
  delete base.GOMP_SPINCOUNT;
  delete base.OMP_WAIT_POLICY;
  console.log(`\nOpenMP waiting (median of ${rounds}; prompt ms for the probe's prompt, ms per generated token)`);
  console.log(`  ${'policy'.padEnd(44)} idle: prompt  ms/token    2 busy processes: prompt  ms/token`);
  for (const policy of policies) {
    const cells: string[] = [];
    for (const busy of [false, true]) {
      const hogs = busy ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })) : [];
      const probes: Array<{ promptMs: number; tokenMs: number }> = [];
      try {
        for (let round = 0; round < rounds; round++) {
          const run = spawnSync(process.execPath, [probe, engine, model, 'mmap', 'no-repack'], { encoding: 'utf8', env: { ...base, ...policy.env } });
          if (run.status !== 0) throw new Error(`probe (${policy.name}) failed: ${run.stderr}`);
          probes.push(JSON.parse(run.stdout) as { promptMs: number; tokenMs: number });
        }
      } finally {
        for (const hog of hogs) hog.kill('SIGKILL');
      }
      cells.push(`${median(probes.map((p) => p.promptMs)).toFixed(0).padStart(12)} ${median(probes.map((p) => p.tokenMs)).toFixed(1).padStart(9)}`);
    }
    console.log(`  ${policy.name.padEnd(44)} ${cells[0]}    ${cells[1].padStart(30)}`);
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(model)) throw new Error(`Model not found: ${model} (run \`npm run fixtures -- --perf\`)`);
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  const fileBytes = fs.statSync(model).size;
  const load = os.loadavg()[0];
  console.log(`time to command, ${path.basename(model)} (${(fileBytes / MB).toFixed(0)} MB), "${REQUEST}", --max-tokens 60, --print`);
  console.log(`${ROUNDS} interleaved rounds, separate processes, ${os.availableParallelism()} CPUs, load average ${load.toFixed(2)} at the start (shared machine)`);

  const inProcessHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-ttc-'));
  const residentHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-ttc-r-'));
  const inProcess = envFor(inProcessHome, '0');
  const resident = envFor(residentHome, '10m');
  const cacheDir = path.join(inProcessHome, '.cache', 'cmdai', 'prompt-cache');
  const runs: Record<'a' | 'b' | 'c' | 'c2', Timed[]> = { a: [], b: [], c: [], c2: [] };
  let serverPeak = 0;
  try {
    // Warm-up: the page cache holds the file, the resident server is up and has the system prompt.
    await timeCli(inProcess);
    await timeCli(resident);
    const server = serverStatus(resident);
    if (!server) throw new Error('the resident server did not start');
    const serverSampler = setInterval(() => (serverPeak = Math.max(serverPeak, rssAnon(server.pid) ?? 0)), 10);
    // (c) is asked the same request as (a) and (b), so the server's last request is (c)'s own
    // (as when a user repeats one); the new requests of (c') come in rounds of their own after
    // them, as one in between would turn (c) into a new request too.
    console.log("\nround   (a) no cache: first char / exit   (b) cache file: first char / exit   (c) resident: first char / exit     (c') resident, a new request");
    const cell = (t: Timed) => `${t.firstCharMs.toFixed(0)} / ${t.exitMs.toFixed(0)} ms`.padEnd(36);
    for (let round = 1; round <= ROUNDS; round++) {
      fs.rmSync(cacheDir, { recursive: true, force: true });
      const a = await timeCli(inProcess);
      const b = await timeCli(inProcess);
      const c = withServerCounts(await timeCli(resident), resident);
      runs.a.push(a);
      runs.b.push(b);
      runs.c.push(c);
      console.log(`${String(round).padEnd(8)}${cell(a)}${cell(b)}${cell(c)}`);
      if (a.stdout.trim() === '' || c.stdout.trim() === '') throw new Error('an empty command was printed');
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const c2 = withServerCounts(await timeCli(resident, OTHER_REQUESTS[(round - 1) % OTHER_REQUESTS.length]), resident);
      runs.c2.push(c2);
      console.log(`${`(c') ${round}`.padEnd(8)}${' '.repeat(108)}${cell(c2)}`);
    }
    clearInterval(serverSampler);
    const m = (key: 'a' | 'b' | 'c' | 'c2', field: 'firstCharMs' | 'exitMs') => median(runs[key].map((t) => t[field]));
    console.log('\nmedian first command character: ' +
      `(a) ${m('a', 'firstCharMs').toFixed(0)} ms, (b) ${m('b', 'firstCharMs').toFixed(0)} ms, (c) ${m('c', 'firstCharMs').toFixed(0)} ms, (c') ${m('c2', 'firstCharMs').toFixed(0)} ms`);
    console.log(`median exit:                    (a) ${m('a', 'exitMs').toFixed(0)} ms, (b) ${m('b', 'exitMs').toFixed(0)} ms, (c) ${m('c', 'exitMs').toFixed(0)} ms`);
    const perRound = runs.c.map((c, i) => c.firstCharMs / runs.b[i].firstCharMs);
    console.log(`(c)/(b) first character: ${(m('c', 'firstCharMs') / m('b', 'firstCharMs')).toFixed(3)} (median of per-round ratios ${median(perRound).toFixed(3)}; target <= 0.25)`);
    console.log(`(c')/(b) first character: ${(m('c2', 'firstCharMs') / m('b', 'firstCharMs')).toFixed(3)} (the resident model on a request it has not just answered)`);
    console.log(`(b)/(a) first character: ${(m('b', 'firstCharMs') / m('a', 'firstCharMs')).toFixed(3)}`);
    console.log('\nthe same model work done by llama.cpp alone (llama-bench, 2 threads):');
    llamaFloor('(b)', runs.b);
    llamaFloor('(c)', runs.c);
    llamaFloor("(c')", runs.c2);

    const limit = fileBytes + 300 * MB;
    const cliPeak = Math.max(...runs.a.map((t) => t.peakAnonBytes), ...runs.b.map((t) => t.peakAnonBytes));
    const clientPeak = Math.max(...runs.c.map((t) => t.peakAnonBytes), ...runs.c2.map((t) => t.peakAnonBytes));
    console.log(`\npeak RssAnon (sampled every 10 ms) vs model file + 300 MB = ${(limit / MB).toFixed(0)} MB:`);
    console.log(`  in-process CLI   ${(cliPeak / MB).toFixed(0)} MB (${(cliPeak / limit).toFixed(2)} of the limit)`);
    console.log(`  resident server  ${(serverPeak / MB).toFixed(0)} MB (${(serverPeak / limit).toFixed(2)} of the limit)`);
    console.log(`  resident client  ${(clientPeak / MB).toFixed(0)} MB`);
  } finally {
    spawnSync(process.execPath, [cli, 'serve', '--stop'], { env: resident });
    fs.rmSync(inProcessHome, { recursive: true, force: true });
    fs.rmSync(residentHome, { recursive: true, force: true });
  }
  if (!process.argv.includes('--no-load')) loadModes(Math.min(ROUNDS, 3));
  if (!process.argv.includes('--no-openmp')) openMpWaiting(2);
}

main().catch((err: Error) => {
  process.stderr.write(`ttc: ${err.message}\n`);
  process.exit(1);
});
