// The freedesktop.org Trash specification (1.0): a file goes to the trash of its own filesystem.
// On the home filesystem that is $XDG_DATA_HOME/Trash; elsewhere $topdir/.Trash/$uid when the
// administrator made a sticky, non-link $topdir/.Trash, else $topdir/.Trash-$uid. Each trashed
// item gets files/<name> and info/<name>.trashinfo with its original path and deletion date; the
// info file is created first, exclusively, so two programs never pick the same name.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TrashedItem {
  /** Where the item was. */
  original: string;
  /** Where it is now (…/Trash/files/<name>). */
  trashed: string;
  /** Its …/Trash/info/<name>.trashinfo. */
  info: string;
}

export interface FreedesktopOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  uid: number;
  /** Local time of deletion (default now). */
  now?: Date;
}

/** The trash directory a path belongs in, and the directory its info Path is relative to (undefined: absolute). */
export function trashFor(file: string, options: FreedesktopOptions): { dir: string; relativeTo?: string } {
  const homeTrash = path.join(options.env.XDG_DATA_HOME || path.join(options.home, '.local', 'share'), 'Trash');
  const fileDev = fs.lstatSync(file).dev;
  if (deviceOf(existingAncestor(homeTrash)) === fileDev) return { dir: homeTrash };
  const top = mountPoint(file, fileDev);
  const shared = path.join(top, '.Trash');
  try {
    const stat = fs.lstatSync(shared);
    // The spec: a sticky directory that is not a symbolic link; otherwise it must not be used.
    if (stat.isDirectory() && !stat.isSymbolicLink() && (stat.mode & 0o1000) !== 0) return { dir: path.join(shared, String(options.uid)), relativeTo: top };
  } catch {
    /* no shared trash: the per-user one below */
  }
  return { dir: path.join(top, `.Trash-${options.uid}`), relativeTo: top };
}

/** Moves one path (file, directory or link, never followed) to its trash. */
export function trashPath(file: string, options: FreedesktopOptions): TrashedItem {
  const original = path.resolve(file);
  const { dir, relativeTo } = trashFor(original, options);
  const filesDir = path.join(dir, 'files');
  const infoDir = path.join(dir, 'info');
  fs.mkdirSync(filesDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(infoDir, { recursive: true, mode: 0o700 });

  const recorded = relativeTo ? path.relative(relativeTo, original) : original;
  const text = `[Trash Info]\nPath=${encodeTrashPath(recorded)}\nDeletionDate=${localDate(options.now ?? new Date())}\n`;
  const base = path.basename(original);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${stem(base)}.${n}${extension(base)}`;
    const info = path.join(infoDir, `${name}.trashinfo`);
    const trashed = path.join(filesDir, name);
    let handle: number;
    try {
      handle = fs.openSync(info, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      fs.writeSync(handle, text);
    } finally {
      fs.closeSync(handle);
    }
    if (fs.existsSync(trashed)) {
      fs.rmSync(info); // a stray file without info: leave it, take the next name
      continue;
    }
    try {
      fs.renameSync(original, trashed);
    } catch (err) {
      fs.rmSync(info, { force: true });
      throw err;
    }
    return { original, trashed, info };
  }
}

/** Percent-encodes a path as the spec asks (RFC 2396 escaping; `/` kept). */
export function encodeTrashPath(file: string): string {
  return file
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export function decodeTrashPath(text: string): string {
  return decodeURIComponent(text);
}

/** Reads a .trashinfo; the original path is made absolute against the trash's top directory. */
export function readTrashInfo(info: string): { path: string; deletionDate: string } {
  const text = fs.readFileSync(info, 'utf8');
  const lines = text.split('\n');
  if (lines[0] !== '[Trash Info]') throw new Error(`${info} is not a trash info file`);
  const field = (name: string) => lines.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1);
  const recorded = field('Path');
  const deletionDate = field('DeletionDate');
  if (!recorded || !deletionDate) throw new Error(`${info} lacks Path or DeletionDate`);
  const decoded = decodeTrashPath(recorded);
  // info/ is in <trash>/info; a relative path is relative to the directory holding the trash.
  const trashDir = path.dirname(path.dirname(info));
  const top = path.basename(path.dirname(trashDir)) === '.Trash' ? path.dirname(path.dirname(trashDir)) : path.dirname(trashDir);
  return { path: path.isAbsolute(decoded) ? decoded : path.join(top, decoded), deletionDate };
}

function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

function existingAncestor(dir: string): string {
  let current = dir;
  while (!fs.existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function deviceOf(file: string): number {
  return fs.statSync(file).dev;
}

/** The top directory of the filesystem holding `file`: the highest ancestor on the same device. */
function mountPoint(file: string, dev: number): string {
  let current = path.dirname(file);
  while (path.dirname(current) !== current && fs.statSync(path.dirname(current)).dev === dev) current = path.dirname(current);
  return current;
}
