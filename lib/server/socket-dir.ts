// Where the resident server listens: a Unix socket in a directory only its owner can enter
// ($XDG_RUNTIME_DIR/cmdai, else <cache dir>/run), or a named pipe on Windows. Every check here
// is made by the client before it trusts a socket, and by the server before it binds one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir } from '../config/paths';

export const SOCKET_NAME = 'server.sock';
export const LOG_NAME = 'server.log';

/** Unix socket paths are limited to 108 bytes on Linux (104 on macOS) including the NUL. */
const MAX_SOCKET_PATH = process.platform === 'darwin' ? 103 : 107;

export interface ServerLocation {
  dir: string;
  /** The socket file (Unix) or pipe name (Windows). */
  socket: string;
  log: string;
}

export function serverLocation(env: NodeJS.ProcessEnv = process.env): ServerLocation {
  if (process.platform === 'win32') {
    const user = (env.USERNAME || os.userInfo().username).replace(/[^A-Za-z0-9_.-]/g, '_');
    const dir = path.join(cacheDir({ env }), 'run');
    return { dir, socket: `\\\\.\\pipe\\cmdai-${user}`, log: path.join(dir, LOG_NAME) };
  }
  const runtime = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? path.join(env.XDG_RUNTIME_DIR, 'cmdai') : undefined;
  const dir = runtime ?? path.join(cacheDir({ env }), 'run');
  return { dir, socket: path.join(dir, SOCKET_NAME), log: path.join(dir, LOG_NAME) };
}

/** Why a location cannot be trusted, in words a user can act on; undefined when it is fine. */
export type Refusal = { reason: string; hint: string };

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Creates the directory (mode 0700) when missing and checks it: a real directory (not a
 * symlink), owned by this user, that nobody else can enter or write.
 */
export function prepareSocketDir(location: ServerLocation): Refusal | undefined {
  if (process.platform === 'win32') {
    fs.mkdirSync(location.dir, { recursive: true });
    return undefined;
  }
  if (Buffer.byteLength(location.socket) > MAX_SOCKET_PATH) {
    return {
      reason: `the socket path ${location.socket} is longer than the ${MAX_SOCKET_PATH} bytes a Unix socket allows`,
      hint: 'Set XDG_RUNTIME_DIR or CMDAI_CACHE_DIR to a shorter directory.',
    };
  }
  try {
    fs.mkdirSync(path.dirname(location.dir), { recursive: true, mode: 0o700 });
    fs.mkdirSync(location.dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      return { reason: `cannot create ${location.dir} (${code ?? (err as Error).message})`, hint: 'Check free disk space and the permissions of its parent directory.' };
    }
  }
  return checkSocketDir(location.dir);
}

export function checkSocketDir(dir: string): Refusal | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (err) {
    return { reason: `cannot read ${dir} (${(err as NodeJS.ErrnoException).code})`, hint: 'Check that the directory exists and is yours.' };
  }
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    return { reason: `${dir} is not a plain directory`, hint: `Remove it; cmdai creates it again with mode 0700.` };
  }
  const uid = currentUid();
  if (uid !== undefined && stat.uid !== uid) {
    return { reason: `${dir} belongs to another user (uid ${stat.uid})`, hint: `Remove it, or point XDG_RUNTIME_DIR / CMDAI_CACHE_DIR at a directory of yours.` };
  }
  if ((stat.mode & 0o077) !== 0) {
    return {
      reason: `${dir} can be entered by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')})`,
      hint: `Run \`chmod 700 ${dir}\`; cmdai does not use a socket others could have placed there.`,
    };
  }
  return undefined;
}

/** The socket file, if there is one: it must be a socket owned by this user. */
export function checkSocketFile(socket: string): { exists: boolean; refusal?: Refusal; inode?: number } {
  if (process.platform === 'win32') return { exists: true };
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socket);
  } catch {
    return { exists: false };
  }
  if (!stat.isSocket()) {
    return { exists: true, refusal: { reason: `${socket} is not a socket`, hint: `Remove it: \`rm ${socket}\`.` } };
  }
  const uid = currentUid();
  if (uid !== undefined && stat.uid !== uid) {
    return {
      exists: true,
      refusal: { reason: `the socket ${socket} belongs to another user (uid ${stat.uid})`, hint: `Remove it: \`rm ${socket}\`.` },
    };
  }
  return { exists: true, inode: stat.ino };
}
