// Several cmdai processes and one cache: real child processes running the real download code
// against a fake hub on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelEntry } from '../../lib/models/catalog';
import { compileModelsLib } from './helpers/compile-lib';
import { FakeHub, fixtureContent, sha256 } from './helpers/fake-hub';

const REPO = 'test-org/tiny-model-GGUF';
const REVISION = 'fedcba9876543210fedcba9876543210fedcba98';
const FILE = 'tiny-q4_k_m.gguf';
const WORKER = join(__dirname, 'helpers', 'pull-worker.js');

let libDir: string;
let hub: FakeHub;
let modelsDir: string;
let content: Buffer;
let entry: ModelEntry;

interface WorkerRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorker(): WorkerRun {
  const child = spawn(process.execPath, [WORKER, libDir, JSON.stringify(entry), modelsDir, hub.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function resultOf(run: WorkerRun): { ok: boolean; downloaded?: boolean; code?: string; message?: string } {
  const line = run.output().trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const finalPath = () => join(modelsDir, 'tiny', FILE);
const partialPath = () => `${finalPath()}.partial`;
const partialSize = () => (existsSync(partialPath()) ? statSync(partialPath()).size : 0);

beforeAll(() => {
  libDir = compileModelsLib();
});

afterAll(() => {
  rmSync(join(libDir, '..'), { recursive: true, force: true });
});

beforeEach(async () => {
  content = fixtureContent(4 * 1024 * 1024);
  hub = await new FakeHub().start();
  hub.addFile(REPO, REVISION, FILE, { content });
  modelsDir = mkdtempSync(join(tmpdir(), 'cmdai-models-proc-'));
  entry = {
    name: 'tiny',
    description: 'tiny test model',
    format: 'gguf',
    repo: REPO,
    revision: REVISION,
    files: [{ path: FILE, sizeBytes: content.length, sha256: sha256(content) }],
    origin: 'catalog',
  };
});

afterEach(async () => {
  await hub.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

test('two processes pulling the same model at once produce one correct file, downloaded once', async () => {
  // Slow enough (about 2 s) that both processes are running before the first one finishes.
  hub.throttle = { chunkBytes: 64 * 1024, delayMs: 30 };
  const first = startWorker();
  const second = startWorker();
  const codes = await Promise.all([first.exited, second.exited]);

  expect(codes).toEqual([0, 0]);
  const results = [resultOf(first), resultOf(second)];
  expect(results.every((r) => r.ok)).toBe(true);
  // One process downloaded; the other waited for the lock and found the file done.
  expect(results.map((r) => r.downloaded).sort()).toEqual([false, true]);
  expect(first.output() + second.output()).toContain('WAITING');
  const bodyBytes = hub.requests.reduce((sum, request) => sum + request.bytesSent, 0);
  expect(bodyBytes).toBe(content.length);
  expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  expect(existsSync(partialPath())).toBe(false);
});

test('SIGINT during a pull leaves a resumable partial file and no final file; the next pull resumes it', async () => {
  hub.throttle = { chunkBytes: 64 * 1024, delayMs: 20 };
  const interrupted = startWorker();
  await waitFor(() => partialSize() >= 256 * 1024, 'the first bytes on disk');
  interrupted.child.kill('SIGINT');
  const code = await interrupted.exited;

  expect(code).toBe(130);
  expect(resultOf(interrupted)).toMatchObject({ ok: false, code: 'ABORTED' });
  expect(resultOf(interrupted).message).toContain('run the same command to resume');
  const kept = partialSize();
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThan(content.length);
  expect(existsSync(finalPath())).toBe(false);
  // What was kept is a true prefix of the file, so resuming from it is safe.
  expect(readFileSync(partialPath()).equals(content.subarray(0, kept))).toBe(true);

  hub.throttle = undefined;
  const resumed = startWorker();
  expect(await resumed.exited).toBe(0);
  expect(resultOf(resumed)).toMatchObject({ ok: true, downloaded: true });
  expect(hub.requests[hub.requests.length - 1].range).toBe(`bytes=${kept}-`);
  expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
});
