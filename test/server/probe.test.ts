// The client's probe of the server's socket: a socket file nobody listens on is stale and is
// removed, except while a server the client has just started may be between creating its socket
// file and listening on it (bind, then listen). The file here is bound and never listened on,
// by python3 (Node cannot bind a Unix socket without listening).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeServer } from '../../lib/server/client';
import { serverLocation } from '../../lib/server/socket-dir';

let dir: string;
let binder: ChildProcess | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-probe-'));
});

afterEach(async () => {
  // Gone before the next test (and before jest tears this file down): nothing of it outlives the test.
  if (binder && binder.exitCode === null && binder.signalCode === null) {
    const exited = new Promise((resolve) => binder!.once('exit', resolve));
    binder.kill('SIGKILL');
    await exited;
  }
  binder = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A socket file bound at `file` by a process that never listens on it. */
async function boundNotListening(file: string): Promise<void> {
  const script = 'import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\ntime.sleep(60)';
  binder = spawn('python3', ['-c', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    binder!.stdout!.once('data', () => resolve());
    binder!.once('exit', (code) => reject(new Error(`python3 exited (${code}) before binding ${file}`)));
  });
}

function location() {
  const env = { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache'), XDG_RUNTIME_DIR: path.join(dir, 'run') };
  fs.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  const where = serverLocation(env);
  fs.mkdirSync(where.dir, { mode: 0o700 });
  return where;
}

test('a socket nobody listens on is stale: removed, and there is no server', async () => {
  const where = location();
  await boundNotListening(where.socket);
  expect((await probeServer(where)).kind).toBe('none');
  expect(fs.existsSync(where.socket)).toBe(false);
});

test('while a server this client started may not listen yet, its socket file is left alone', async () => {
  const where = location();
  await boundNotListening(where.socket);
  expect((await probeServer(where, { starting: true })).kind).toBe('none');
  expect(fs.existsSync(where.socket)).toBe(true);
});
