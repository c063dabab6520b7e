// Runs test/helpers/scripts/engine-child.js, one model's life in a process or worker thread of
// its own, for the lifecycle tests of both engines.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const script = path.join(__dirname, 'scripts', 'engine-child.js');
const repoRoot = path.resolve(__dirname, '..', '..');

/** Which engine a child loads, from where, with which load options. */
export interface ChildModel {
  engine: 'llama.cpp' | 'mlx';
  model: string;
  options: Record<string, unknown>;
}

/** Runs a scenario of engine-child.js in a fresh node process (with --expose-gc) and waits for it. */
export function runEngineChild(
  scenario: string,
  child: ChildModel,
  { env = {}, count, timeoutMs = 120_000 }: { env?: NodeJS.ProcessEnv; count?: number; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const args = ['--expose-gc', script, scenario, child.engine, child.model, JSON.stringify(child.options)];
  if (count !== undefined) args.push(String(count));
  return spawnSync(process.execPath, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, CMDAI_LLAMA_LOG: '', ...env },
  });
}

/** Starts a scenario of engine-child.js in a worker thread. */
export function startEngineWorker(scenario: string, child: ChildModel): Worker {
  return new Worker(script, { workerData: { scenario, ...child } });
}

/** The worker's first message (or its error). */
export function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
