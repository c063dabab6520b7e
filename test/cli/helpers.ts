// Runs the real `bin/cmdai.js` (compiled dist/) as a user would, in an isolated home.
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cliPath = path.join(repoRoot, 'bin', 'cmdai.js');
export const tinyModel = path.join(repoRoot, 'models', 'test', 'tiny-qwen2.gguf');

// Whether any lib/ source is newer than its compiled dist/ file (per file: other builds may run at the same time).
function distIsStale(libDir: string, distDir: string): boolean {
  for (const entry of fs.readdirSync(libDir, { withFileTypes: true })) {
    const source = path.join(libDir, entry.name);
    if (entry.isDirectory()) {
      if (distIsStale(source, path.join(distDir, entry.name))) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const compiled = path.join(distDir, entry.name.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) return true;
    }
  }
  return false;
}

/** Compiles lib/ to dist/ when a source file is newer than its output. */
export function ensureBuilt(): void {
  const entry = path.join(repoRoot, 'dist', 'cli', 'main.js');
  if (fs.existsSync(entry) && !distIsStale(path.join(repoRoot, 'lib'), path.join(repoRoot, 'dist'))) return;
  // Other parts of the tree may have type errors in progress; tsc still emits, and the lock
  // keeps parallel test runs from writing dist/ at the same time.
  spawnSync('flock', ['/tmp/cmdai-dist.lock', 'npx', 'tsc', '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'ignore' });
  if (!fs.existsSync(entry)) throw new Error('dist/cli/main.js is missing after `tsc -p tsconfig.json`');
}

export function requireTinyModel(): string {
  if (!fs.existsSync(tinyModel)) {
    throw new Error(`The tiny test model is missing: ${tinyModel}. Run \`npm run fixtures\` first.`);
  }
  return tinyModel;
}

/** A fresh home, config and cache directory per test file, so the user's settings never leak in. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-home-'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    CMDAI_OFFLINE: '1',
    // No resident server outlives a test unless the test asks for one (test/server/).
    CMDAI_KEEP_ALIVE: '0',
    ...extra,
  };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string; timeoutMs?: number }): CliRun {
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [cliPath, ...args], {
    env: options.env,
    input: options.input ?? '',
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What a user should never see: a JavaScript stack trace. */
export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
  expect(text).not.toContain('node:internal');
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g;

/**
 * The CLI in a real pseudo-terminal (util-linux `script`), driven key by key.
 * `script -e` exits with the CLI's exit code.
 */
export class PtySession {
  private raw = '';
  private exited: Promise<number>;
  private readonly child;

  /** Runs `cmdai <args>`, or `program` (e.g. a shell) when given. */
  constructor(args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot, program: string[] = [process.execPath, cliPath], columns = 120) {
    const quoted = [...program, ...args].map(shellQuote).join(' ');
    this.child = spawn('script', ['-qfec', `stty cols ${columns} rows 40; exec ${quoted}`, '/dev/null'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => (this.raw += chunk.toString('utf8')));
    this.child.stderr.on('data', (chunk: Buffer) => (this.raw += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code ?? -1)));
  }

  /** Everything written to the terminal so far, escape sequences included. */
  get rawOutput(): string {
    return this.raw;
  }

  /** Everything shown on the terminal so far, without colours and carriage returns. */
  get screen(): string {
    return this.raw.replace(ANSI, '');
  }

  async waitFor(expected: string | RegExp, timeoutMs = 30_000, after = 0): Promise<void> {
    const started = Date.now();
    const seen = () => {
      const text = this.screen.slice(after);
      return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
    };
    while (!seen()) {
      if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${String(expected)}; the screen shows:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Number of times text appears on the screen (to wait for the next menu). */
  count(text: string): number {
    return this.screen.split(text).length - 1;
  }

  async waitForCount(text: string, count: number, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (this.count(text) < count) {
      if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${count}x ${text}; the screen shows:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  press(keys: string): void {
    this.child.stdin.write(keys);
  }

  async exitCode(timeoutMs = 30_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`The CLI did not exit; the screen shows:\n${this.screen}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.=:,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** runCli without blocking the event loop, for tests that serve HTTP from this process. */
export function runCliAsync(args: string[], options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: options.env, cwd: options.cwd ?? repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.stdin.end(options.input ?? '');
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1 that answers every chat request with the
 * same command, and keeps what it was asked (to see which words reached the model as the request).
 */
export class FakeOpenAIServer {
  readonly requests: { url?: string; body: string }[] = [];
  reply = { command: 'echo from-the-fake-server', explanation: 'Prints a word.' };
  /** Answers used one per request, before falling back to `reply`. */
  queue: { command: string; explanation: string }[] = [];
  /** When true, connections are accepted and never answered. */
  silent = false;
  private server?: http.Server;
  endpoint = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.requests.push({ url: req.url, body });
        if (this.silent) return;
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/models') {
          res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', owned_by: 'test' }] }));
        } else if (req.url === '/v1/chat/completions') {
          const content = JSON.stringify(this.queue.shift() ?? this.reply);
          if ((JSON.parse(body) as { stream?: boolean }).stream) {
            // Server-sent events, a few characters per event, as a streaming server sends them.
            res.setHeader('content-type', 'text/event-stream');
            for (let i = 0; i < content.length; i += 8) {
              res.write(`data: ${JSON.stringify({ model: 'fake-model', choices: [{ index: 0, delta: { content: content.slice(i, i + 8) }, finish_reason: null }] })}\n\n`);
            }
            res.write(`data: ${JSON.stringify({ model: 'fake-model', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
            res.end('data: [DONE]\n\n');
            return;
          }
          res.end(JSON.stringify({ model: 'fake-model', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  /** The text of the last user turn the server was sent. */
  lastUserMessage(): string | undefined {
    const chat = this.requests.filter((r) => r.url === '/v1/chat/completions').at(-1);
    if (!chat) return undefined;
    const messages = (JSON.parse(chat.body) as { messages: { role: string; content: string }[] }).messages;
    return messages.filter((m) => m.role === 'user').at(-1)?.content;
  }

  args(): string[] {
    return ['--backend', 'openai', '--endpoint', this.endpoint];
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let tmuxSessions = 0;

/**
 * A program in tmux (a real terminal emulator), for what only the screen shows: what stays
 * visible after a prompt is redrawn or a spinner is stopped. Each session has its own server.
 */
export class TmuxSession {
  private readonly socket = `cmdai-test-${process.pid}-${++tmuxSessions}`;

  constructor(program: string[], env: NodeJS.ProcessEnv, cwd: string, columns = 100, rows = 30) {
    const started = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(columns), '-y', String(rows), ...program], { env, cwd });
    if (started.status !== 0) throw new Error(`tmux did not start: ${started.stderr}`);
  }

  /** Keys as tmux names them (`C-g`, `Enter`) or literal text. */
  send(...keys: string[]): void {
    spawnSync('tmux', ['-L', this.socket, 'send-keys', ...keys]);
  }

  /** The visible screen, line by line. */
  get screen(): string {
    return spawnSync('tmux', ['-L', this.socket, 'capture-pane', '-p'], { encoding: 'utf8' }).stdout;
  }

  async waitFor(expected: string | RegExp, timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    const seen = () => (typeof expected === 'string' ? this.screen.includes(expected) : expected.test(this.screen));
    while (!seen()) {
      if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${String(expected)}; the screen shows:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** What a CLI test file shares, filled in by the hooks `useCliSuite` registers. */
export interface CliSuite {
  /** The isolated environment (see isolatedEnv), made once per file. */
  env: NodeJS.ProcessEnv;
  /** A fresh folder per test, removed after it (with `workDirPrefix`). */
  workDir: string;
  /** A fake OpenAI-compatible server for the whole file (with `server: true`). */
  server: FakeOpenAIServer;
  /** `cmdai <args>` in a pseudo-terminal in `workDir`, killed after the test. */
  start(args: string[], options?: { env?: NodeJS.ProcessEnv; columns?: number }): PtySession;
}

/**
 * Registers the set-up most CLI test files share: the compiled CLI, an isolated home, optionally a
 * fake server and a work folder per test, and pseudo-terminal sessions that never outlive a test.
 * Call at the top level of a test file; read the fields inside tests and hooks.
 */
export function useCliSuite(options: { workDirPrefix?: string; server?: boolean } = {}): CliSuite {
  const sessions: PtySession[] = [];
  const suite: CliSuite = {
    env: {},
    workDir: '',
    server: undefined as unknown as FakeOpenAIServer,
    start(args, { env = suite.env, columns } = {}) {
      const session = new PtySession(args, env, suite.workDir || undefined, undefined, columns);
      sessions.push(session);
      return session;
    },
  };
  beforeAll(async () => {
    ensureBuilt();
    suite.env = isolatedEnv();
    if (options.server) suite.server = await new FakeOpenAIServer().start();
  });
  afterAll(() => suite.server?.stop());
  beforeEach(() => {
    if (options.workDirPrefix) suite.workDir = fs.mkdtempSync(path.join(os.tmpdir(), options.workDirPrefix));
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.kill();
    if (suite.workDir) fs.rmSync(suite.workDir, { recursive: true, force: true });
  });
  return suite;
}
