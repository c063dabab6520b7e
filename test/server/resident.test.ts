// The resident model with the real engine and real processes: the CLI starts a background
// server, later calls use it, faults send the answer in-process, idle exit ends the process.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend } from '../../lib/backends';
import { defaultConfig } from '../../lib/config';
import { processAlive, residentStatus, stopServer } from '../../lib/server/client';
import { serverLocation } from '../../lib/server/socket-dir';
import type { ServerStatus } from '../../lib/server/protocol';
import { ensureBuilt, isolatedEnv, repoRoot, requireTinyModel, runCli } from '../cli/helpers';

jest.setTimeout(120_000);

let model: string;
const environments: NodeJS.ProcessEnv[] = [];

function residentEnv(keepAlive = '2m'): NodeJS.ProcessEnv {
  const env = isolatedEnv({ CMDAI_KEEP_ALIVE: keepAlive });
  environments.push(env);
  return env;
}

function ask(env: NodeJS.ProcessEnv, extra: string[] = []) {
  const run = runCli(['--model', model, '--shell', 'bash', '--max-tokens', '64', '--json', '--verbose', ...extra, 'list', 'files'], { env });
  expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
  return { ...run, result: JSON.parse(run.stdout) as { command: string; timings: { resident: boolean; load: number } } };
}

/** Like ask(), without blocking this process (a server in this test process must be able to answer). */
function askAsync(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string; result: { timings: { resident: boolean } } }> {
  return new Promise((resolve) => {
    const args = [path.join(repoRoot, 'bin', 'cmdai.js'), '--model', model, '--shell', 'bash', '--max-tokens', '64', '--json', '--verbose', 'list files'];
    const child = spawn(process.execPath, args, { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data));
    child.stderr.on('data', (data: Buffer) => (stderr += data));
    child.on('exit', (status) => resolve({ status, stdout, stderr, result: status === 0 ? JSON.parse(stdout) : undefined }));
  });
}

async function runningServer(env: NodeJS.ProcessEnv): Promise<ServerStatus> {
  const { probe } = await residentStatus(env);
  if (probe.kind !== 'status') throw new Error(`no server running: ${JSON.stringify(probe)}`);
  return probe.status;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

beforeAll(() => {
  ensureBuilt();
  model = requireTinyModel();
});

afterEach(async () => {
  for (const env of environments.splice(0)) {
    const { probe } = await residentStatus(env).catch(() => ({ probe: undefined }));
    if (probe?.kind === 'status') {
      await stopServer(serverLocation(env), { timeoutMs: 10_000 }).catch(() => undefined);
      if (processAlive(probe.status.pid)) process.kill(probe.status.pid, 'SIGKILL');
    }
  }
});

test('the first request starts a resident server and later requests are answered by it without a load', async () => {
  const env = residentEnv();
  const first = ask(env);
  expect(first.result.timings.resident).toBe(true);
  const server = await runningServer(env);
  expect(server.state).toBe('ready');
  expect(fs.realpathSync(server.model.path)).toBe(fs.realpathSync(model));

  const second = ask(env);
  expect(second.result.timings).toMatchObject({ resident: true, load: 0 });
  expect(second.stderr).toContain('(resident)');
  expect((await runningServer(env)).pid).toBe(server.pid);
  expect((await runningServer(env)).served).toBeGreaterThanOrEqual(2);

  // --print closes the stream when the command is complete, before the usage chunk: the
  // server's status still tells what that generation did.
  const printed = runCli(['--model', model, '--shell', 'bash', '--max-tokens', '64', '--print', 'list', 'files'], { env });
  expect(printed.status).toBe(0);
  const last = (await runningServer(env)).lastRequest;
  expect(last).toBeDefined();
  expect(last!.promptTokens).toBeGreaterThan(0);
  expect(last!.cachedTokens).toBeLessThanOrEqual(last!.promptTokens!);
  expect(last!.generatedTokens).toBeGreaterThanOrEqual(1);
  const shown = runCli(['serve', '--status'], { env });
  expect(shown.stdout).toMatch(/last +\d+ of \d+ prompt tokens evaluated in \d+ ms, \d+ generated in \d+ ms/);
});

test('the socket directory is private to its owner and the socket is not readable by others', async () => {
  const env = residentEnv();
  ask(env);
  const location = serverLocation(env);
  expect(fs.statSync(location.dir).mode & 0o777).toBe(0o700);
  expect(fs.statSync(location.socket).mode & 0o077).toBe(0);
});

test('keepAlive 0 starts nothing and answers in-process', () => {
  const env = residentEnv('0');
  const run = ask(env);
  expect(run.result.timings.resident).toBe(false);
  expect(fs.existsSync(serverLocation(env).dir)).toBe(false);
});

test('two shells asking at once each get their own answer', async () => {
  const env = residentEnv();
  ask(env); // the server is up
  // Each "shell" forces its own tag through the JSON schema (test/server/scripts/ask-resident.js).
  const script = path.join(__dirname, 'scripts', 'ask-resident.js');
  const tags = ['alpha-shell', 'bravo-shell-two', 'charlie-shell-three'];
  const runs = tags.map(
    (tag) =>
      new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        const child = spawn(process.execPath, [script, model, tag], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (data: Buffer) => (stdout += data));
        child.stderr.on('data', (data: Buffer) => (stderr += data));
        child.on('exit', (code) => resolve({ stdout, stderr, code }));
      }),
  );
  const outputs = await Promise.all(runs);
  for (const [i, output] of outputs.entries()) {
    expect({ code: output.code, stderr: output.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(output.stdout);
    expect(answer.resident).toBe(true);
    expect(answer.streamed).toBe(answer.text);
    if (answer.stopReason !== 'length') expect(JSON.parse(answer.text).tag).toBe(tags[i]);
    else expect(answer.text).toMatch(new RegExp(`^\\{ ?"tag" ?: ?"${tags[i]}"`));
  }
});

test('a server killed mid-answer: the client notices and answers in-process', async () => {
  const env = residentEnv();
  ask(env);
  const server = await runningServer(env);
  const notices: string[] = [];
  const backend = createBackend(defaultConfig('/nonexistent'), {
    flags: { model },
    env,
    resident: { keepAliveMs: 120_000, onNotice: (message) => notices.push(message) },
  });
  let restarts = 0;
  let streamed = '';
  let killed = false;
  const result = await backend.generate({
    messages: [{ role: 'system', content: 'Answer in JSON.' }, { role: 'user', content: 'list files' }],
    // Long enough that the server is still generating when it is killed at the first piece.
    jsonSchema: { type: 'object', properties: { note: { type: 'string', minLength: 300, maxLength: 400 } }, required: ['note'], additionalProperties: false },
    maxTokens: 440,
    onToken: (piece) => {
      streamed += piece;
      if (!killed) {
        killed = true;
        process.kill(server.pid, 'SIGKILL');
      }
    },
    onRestart: () => {
      restarts++;
      streamed = '';
    },
  });
  await backend.dispose();
  expect(result.resident).toBeUndefined();
  expect(restarts).toBe(1);
  expect(streamed).toBe(result.text);
  expect(notices.join('\n')).toMatch(/failed mid-request.*answering in-process/);
  if (result.stopReason !== 'length') expect(typeof JSON.parse(result.text).note).toBe('string');
});

test('idle exit: the server process is gone after keepAlive without requests, and its socket with it', async () => {
  const env = residentEnv('5s');
  expect(ask(env).result.timings.resident).toBe(true);
  const server = await runningServer(env);
  expect(await until(() => !processAlive(server.pid), 30_000)).toBe(true);
  expect(fs.existsSync(serverLocation(env).socket)).toBe(false);
});

test('a stale socket left by a crashed server is replaced by a new server', async () => {
  const env = residentEnv();
  const location = serverLocation(env);
  fs.mkdirSync(location.dir, { recursive: true, mode: 0o700 });
  // A process that dies while listening leaves its socket file behind.
  const crash = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(location.socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((resolve) => crash.on('exit', resolve));
  expect(fs.existsSync(location.socket)).toBe(true);
  expect(ask(env).result.timings.resident).toBe(true);
});

describe('sockets that are not to be trusted', () => {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;

  (root ? test : test.skip)('a socket owned by another user is refused; the answer comes in-process', async () => {
    const env = residentEnv();
    const location = serverLocation(env);
    fs.mkdirSync(location.dir, { recursive: true, mode: 0o700 });
    let connections = 0;
    const planted = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => planted.listen(location.socket, resolve));
    try {
      fs.chownSync(location.socket, 65534, 65534);
      const run = await askAsync(env);
      expect(run.status).toBe(0);
      expect(run.result.timings.resident).toBe(false);
      expect(run.stderr).toMatch(/belongs to another user \(uid 65534\)/);
      expect(connections).toBe(0);
    } finally {
      planted.close();
    }
  });

  (root ? test : test.skip)('a connection from another user is dropped by the server, even when the directory was opened to others', async () => {
    const env = residentEnv();
    ask(env); // starts the server
    await runningServer(env);
    const location = serverLocation(env);
    // Someone loosens the modes after the server started: only the peer check is left.
    for (let dir = location.dir; dir !== path.dirname(env.HOME!); dir = path.dirname(dir)) fs.chmodSync(dir, 0o711);
    fs.chmodSync(location.socket, 0o666);
    const probe = `require('http').get({ socketPath: process.argv[1], path: '/cmdai/status' }, (r) => console.log('answered', r.statusCode)).on('error', (e) => console.log('refused', e.code))`;
    const other = await new Promise<string>((resolve) => {
      // cwd '/': the other user may not be allowed into this checkout's folders.
      const child = spawn(process.execPath, ['-e', probe, location.socket], { uid: 65534, gid: 65534, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      child.on('error', (err) => resolve(`could not start a process as uid 65534: ${err.message}`));
      child.on('exit', () => resolve(out.trim()));
    });
    expect(other).toMatch(/^refused (ECONNRESET|EPIPE)/);
    expect(fs.readFileSync(location.log, 'utf8')).toContain('refused a connection from another user (uid 65534)');
    // The owner is still served.
    expect((await runningServer(env)).pid).toBeGreaterThan(0);
  });

  test('a socket directory others can enter is refused, with what to do', () => {
    const env = residentEnv();
    const location = serverLocation(env);
    fs.mkdirSync(location.dir, { recursive: true });
    fs.chmodSync(location.dir, 0o755);
    const run = ask(env);
    expect(run.result.timings.resident).toBe(false);
    expect(run.stderr).toContain(`chmod 700 ${location.dir}`);
    expect(fs.existsSync(location.socket)).toBe(false);
  });

  test('a server of another cmdai version is asked to stop and not used', async () => {
    const env = residentEnv();
    const location = serverLocation(env);
    fs.mkdirSync(location.dir, { recursive: true, mode: 0o700 });
    const requests: string[] = [];
    const other = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url?.split('?')[0] === '/cmdai/status') {
        res.end(JSON.stringify({ protocol: 1, version: '0.0.1-other', pid: 2 ** 22 + 1, state: 'ready', model: { path: model, identity: 'x', label: 'x' }, engine: {} }));
      } else res.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(location.socket, resolve));
    try {
      const run = await askAsync(env);
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout).timings.resident).toBe(false);
      expect(run.stderr).toContain('cmdai 0.0.1-other');
      expect(requests).toContain('POST /cmdai/stop');
      expect(requests.some((r) => r.includes('chat/completions'))).toBe(false);
    } finally {
      other.close();
    }
  });
});

test('cmdai serve runs in the foreground on a loopback port too, answers OpenAI clients, and serve --stop ends it', async () => {
  const env = residentEnv('0');
  const serve = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cmdai.js'), 'serve', '--model', model, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => serve.on('exit', resolve));
  try {
    let status: ServerStatus | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { probe } = await residentStatus(env);
      if (probe.kind === 'status' && probe.status.state === 'ready' && probe.status.listening.length === 2) {
        status = probe.status;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBeDefined();
    expect(status!.keepAliveMs).toBe(0);
    const endpoint = status!.listening[1];
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    const { createOpenAIBackend } = require('../../lib/backends/openai') as typeof import('../../lib/backends/openai');
    const client = createOpenAIBackend({ endpoint, retries: 0 });
    const answer = await client.generate({
      messages: [{ role: 'user', content: 'hello' }],
      jsonSchema: { type: 'object', properties: { word: { type: 'string', maxLength: 20 } }, required: ['word'], additionalProperties: false },
      maxTokens: 48,
    });
    if (answer.stopReason !== 'length') expect(typeof JSON.parse(answer.text).word).toBe('string');

    const status2 = runCli(['serve', '--status'], { env });
    expect(status2.status).toBe(0);
    expect(status2.stdout).toContain(`pid ${status!.pid}`);
    const stop = runCli(['serve', '--stop'], { env });
    expect(stop.stdout).toContain(`Stopped the cmdai server (pid ${status!.pid})`);
    expect(await exited).toBe(0);
    expect(runCli(['serve', '--status'], { env }).status).toBe(4);
  } finally {
    serve.kill('SIGKILL');
  }
});

describe('a full disk', () => {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  // A 64 KiB tmpfs, filled up, holds the cache directory (mounting needs root).
  let mountPoint: string | undefined;
  let why = root ? '' : 'needs root to mount a small tmpfs';
  beforeAll(() => {
    if (!root) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      why = `cannot mount a tmpfs here: ${mounted.stderr.trim()}`;
      return;
    }
    mountPoint = dir;
    try {
      fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: as full as it gets
    }
  });
  afterAll(() => {
    if (mountPoint) spawnSync('umount', [mountPoint]);
  });

  test('the request is still answered: no resident server and no saved state, each said with --verbose', () => {
    if (!mountPoint) {
      console.log(`skipped: ${why}`);
      return;
    }
    const env = residentEnv();
    env.XDG_CACHE_HOME = path.join(mountPoint, 'cache');
    delete env.XDG_RUNTIME_DIR;
    const run = runCli(['--model', model, '--shell', 'bash', '--max-tokens', '64', '--print', '--verbose', 'list', 'files'], { env });
    expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
    expect(run.stdout.trim().length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/the system prompt's state was not saved \(.*No space left on device\)/);
    expect(run.stderr).toMatch(/resident model: /);
    // Nothing half-written is left behind.
    const cacheFiles = fs.readdirSync(path.join(mountPoint, 'cache', 'cmdai', 'prompt-cache'));
    expect(cacheFiles.filter((f) => f.includes('.partial-'))).toEqual([]);
  });
});
