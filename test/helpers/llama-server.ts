// Starts the real llama-server built from the project's llama.cpp source
// (deps/build-tools/bin/llama-server) on 127.0.0.1 with the tiny test model, waits until
// GET /health says ok, and stops it (SIGTERM, then SIGKILL) when asked.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const LLAMA_SERVER_BIN = process.env.LLAMA_SERVER_BIN ?? path.join(REPO_ROOT, 'deps', 'build-tools', 'bin', 'llama-server');
export const TINY_MODEL = path.join(REPO_ROOT, 'models', 'test', 'tiny-qwen2.gguf');
/** The model id the server reports (its --alias). */
export const TINY_MODEL_ALIAS = 'tiny-qwen2';

export interface LlamaServer {
  /** Server root, e.g. http://127.0.0.1:41234 (where /health lives). */
  root: string;
  /** OpenAI API base, root + "/v1". */
  endpoint: string;
  port: number;
  child: ChildProcess;
  /** Everything the server printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface LlamaServerOptions {
  apiKey?: string;
  contextSize?: number;
  startTimeoutMs?: number;
}

/** Fails with what to run when the binary or the model is missing. */
export function assertLlamaServerParts(): void {
  if (!fs.existsSync(LLAMA_SERVER_BIN)) {
    throw new Error(
      `llama-server is missing at ${LLAMA_SERVER_BIN}. Build the reference tools from deps/llama.cpp ` +
        `with \`npm run build:tools\`, or set LLAMA_SERVER_BIN to a llama-server binary.`,
    );
  }
  if (!fs.existsSync(TINY_MODEL)) {
    throw new Error(`The tiny test model is missing at ${TINY_MODEL}. Generate it with \`npm run fixtures\`.`);
  }
}

export async function startLlamaServer(options: LlamaServerOptions = {}): Promise<LlamaServer> {
  assertLlamaServerParts();
  const port = await freePort();
  const args = [
    '-m', TINY_MODEL,
    '--alias', TINY_MODEL_ALIAS,
    '--host', '127.0.0.1',
    '--port', String(port),
    '-c', String(options.contextSize ?? 1024),
    '-np', '1',
    '-t', '1',
    '--threads-http', '2',
    '--no-webui',
  ];
  if (options.apiKey) args.push('--api-key', options.apiKey);
  const child = spawn(LLAMA_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const root = `http://127.0.0.1:${port}`;
  const server: LlamaServer = {
    root,
    endpoint: `${root}/v1`,
    port,
    child,
    log: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`llama-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.slice(-3_000)}`);
    }
    if ((await healthStatus(root)) === 200) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new Error(`llama-server did not become healthy within ${options.startTimeoutMs ?? 30_000} ms:\n${output.slice(-3_000)}`);
}

function healthStatus(root: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${root}/health`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(1_000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** A port nothing listens on right now (the kernel picks it, then it is released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
