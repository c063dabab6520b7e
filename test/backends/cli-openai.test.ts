// `cmdai --backend openai --endpoint ... --json` end to end: the built CLI (bin/cmdai.js, which
// loads dist/) against the real llama-server serving the tiny model on 127.0.0.1.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT, startLlamaServer, TINY_MODEL_ALIAS, type LlamaServer } from '../helpers/llama-server';

const CLI = path.join(REPO_ROOT, 'bin', 'cmdai.js');
const API_KEY = 'sk-cli-test-5e6f7a8b9c';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;
let open: LlamaServer;
let guarded: LlamaServer;

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('The CLI is not built: dist/cli/main.js is missing. Run `npm run build:ts` first.');
  }
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-cli-openai-'));
  [open, guarded] = await Promise.all([startLlamaServer({ contextSize: 4096 }), startLlamaServer({ contextSize: 4096, apiKey: API_KEY })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
  if (home) fs.rmSync(home, { recursive: true, force: true });
}, 15_000);

/** Runs the CLI with a clean home and no CMDAI_* or OPENAI_* variables from the outside. */
function cmdai(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(CMDAI_|OPENAI_|OLLAMA_)/.test(key)) env[key] = value;
  }
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), NO_COLOR: '1' }, extraEnv);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('cmdai --backend openai', () => {
  test('--json prints a result whose backend is openai and whose model is the one the server serves', async () => {
    const run = await cmdai(['--backend', 'openai', '--endpoint', open.endpoint, '--json', 'list files']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result.backend).toBe('openai');
    expect(result.model).toBe(TINY_MODEL_ALIAS);
    expect(typeof result.command).toBe('string');
  }, 60_000);

  test('the API key from CMDAI_OPENAI_API_KEY reaches the server, and appears in no output', async () => {
    const run = await cmdai(['--backend', 'openai', '--endpoint', guarded.endpoint, '--json', 'list files'], { CMDAI_OPENAI_API_KEY: API_KEY });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { backend: string }).backend).toBe('openai');
    expect(run.stdout + run.stderr).not.toContain(API_KEY);
  }, 60_000);

  test('a wrong --api-key is an authentication error (exit 4) that never prints the key', async () => {
    const wrong = 'sk-wrong-cli-0011223344';
    const run = await cmdai(['--backend', 'openai', '--endpoint', guarded.endpoint, '--api-key', wrong, '--json', 'list files']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/401/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  test('an endpoint where nothing listens is "backend unavailable" (exit 4) with a readable message', async () => {
    const port = await freePort();
    const run = await cmdai(['--backend', 'openai', '--endpoint', `http://127.0.0.1:${port}/v1`, '--retries', '0', '--json', 'list files']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/connection refused/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
