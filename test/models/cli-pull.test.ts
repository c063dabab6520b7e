// `cmdai model pull` as a user runs it: the built CLI (`npm run build:ts`) in child processes,
// downloading a custom model from the config file off a fake hub on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub, fixtureContent, sha256 } from './helpers/fake-hub';

const cli = join(__dirname, '..', '..', 'bin', 'cmdai.js');
const REPO = 'someone/Tiny-GGUF';
const FILE = 'tiny.Q4_K_M.gguf';

let hub: FakeHub;
let home: string;
let content: Buffer;

interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function pull(): CliRun {
  const { HTTP_PROXY, HTTPS_PROXY, http_proxy, https_proxy, HF_TOKEN, ...inherited } = process.env;
  const child = spawn(process.execPath, [cli, 'model', 'pull', 'tiny'], {
    env: {
      ...inherited,
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      CMDAI_CONFIG: join(home, 'config.toml'),
      CMDAI_MODELS_DIR: join(home, 'models'),
      HF_ENDPOINT: hub.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

const finalPath = () => join(home, 'models', 'tiny', FILE);
const partialPath = () => `${finalPath()}.partial`;
const partialSize = () => (existsSync(partialPath()) ? statSync(partialPath()).size : 0);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeEach(async () => {
  content = fixtureContent(4 * 1024 * 1024);
  hub = await new FakeHub().start();
  hub.addFile(REPO, 'main', FILE, { content });
  home = mkdtempSync(join(tmpdir(), 'cmdai-cli-pull-'));
  writeFileSync(join(home, 'config.toml'), `[[models.custom]]\nname = "tiny"\nrepo = "${REPO}"\nfile = "${FILE}"\nsha256 = "${sha256(content)}"\n`);
});

afterEach(async () => {
  await hub.stop();
  rmSync(home, { recursive: true, force: true });
});

test('Ctrl-C during `cmdai model pull` keeps a resumable partial file, and pulling again resumes it', async () => {
  hub.throttle = { chunkBytes: 64 * 1024, delayMs: 20 };
  const interrupted = pull();
  await waitFor(() => partialSize() >= 256 * 1024, 'the first bytes on disk');
  interrupted.child.kill('SIGINT');

  expect(await interrupted.exited).toBe(130);
  expect(interrupted.stderr()).toContain('interrupted');
  expect(interrupted.stderr()).toContain('run the same command to resume');
  expect(interrupted.stderr()).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  const kept = partialSize();
  expect(kept).toBeGreaterThan(0);
  expect(readFileSync(partialPath()).equals(content.subarray(0, kept))).toBe(true);
  expect(existsSync(finalPath())).toBe(false);

  hub.throttle = undefined;
  const resumed = pull();
  expect(await resumed.exited).toBe(0);
  expect(resumed.stdout().trim()).toBe(finalPath());
  expect(hub.requests[hub.requests.length - 1].range).toBe(`bytes=${kept}-`);
  expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
});

test('two `cmdai model pull` processes at once leave one correct file', async () => {
  hub.throttle = { chunkBytes: 64 * 1024, delayMs: 30 };
  const runs = [pull(), pull()];
  const codes = await Promise.all(runs.map((run) => run.exited));

  expect(codes).toEqual([0, 0]);
  expect(runs.map((run) => run.stdout().trim())).toEqual([finalPath(), finalPath()]);
  expect(runs.some((run) => run.stderr().includes('waiting for it to finish'))).toBe(true);
  expect(hub.requests.reduce((sum, request) => sum + request.bytesSent, 0)).toBe(content.length);
  expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
});
