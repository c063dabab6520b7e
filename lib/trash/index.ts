// Trash instead of delete, and `cmdai undo`. Linux and other freedesktop systems use the Trash
// specification (lib/trash/freedesktop.ts); macOS the user's ~/.Trash. The last set moved is
// recorded so `cmdai undo` can put it back, refusing when something new is at an original path.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CmdaiError } from '../errors';
import { trashPath, type TrashedItem } from './freedesktop';

export type { TrashedItem } from './freedesktop';

export interface TrashOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  home?: string;
  uid?: number;
  now?: Date;
}

export interface TrashRecord {
  /** When the set was moved (ISO 8601). */
  at: string;
  /** The command it stood in for. */
  command: string;
  items: TrashedItem[];
}

function resolved(options: TrashOptions) {
  const env = options.env ?? process.env;
  return {
    platform: options.platform ?? process.platform,
    env,
    home: options.home ?? env.HOME ?? os.homedir(),
    uid: options.uid ?? process.getuid?.() ?? 0,
    now: options.now,
  };
}

/** Where the last trashed set is recorded: the platform's state directory. */
export function undoRecordPath(options: TrashOptions = {}): string {
  const { platform, env, home } = resolved(options);
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'cmdai', 'last-trash.json');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'cmdai', 'last-trash.json');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'cmdai', 'last-trash.json');
}

/**
 * Moves every path to the trash and records the set for `cmdai undo`. Paths that do not exist are
 * an error before anything moves; a failure part-way leaves the moved part recorded.
 */
export function moveToTrash(paths: string[], command: string, options: TrashOptions = {}): TrashRecord {
  const ctx = resolved(options);
  if (ctx.platform === 'win32') {
    throw new CmdaiError('USAGE', 'Moving to the Recycle Bin is not supported by this build of cmdai.', { hint: 'Run the command as it is, or move the files yourself.' });
  }
  const missing = paths.filter((p) => !exists(p));
  if (missing.length > 0) {
    throw new CmdaiError('USAGE', `Nothing to move to the trash at ${missing.map((p) => JSON.stringify(p)).join(', ')}: not found.`, { hint: 'Check the paths; nothing was moved.' });
  }
  const record: TrashRecord = { at: (ctx.now ?? new Date()).toISOString(), command, items: [] };
  try {
    for (const item of [...new Set(paths.map((p) => path.resolve(p)))]) {
      record.items.push(ctx.platform === 'darwin' ? trashOnMac(item, ctx.home) : trashPath(item, ctx));
    }
  } finally {
    if (record.items.length > 0) writeRecord(record, options);
  }
  return record;
}

/** `cmdai undo`: puts the last trashed set back. Refuses, moving nothing, when an original path is taken. */
export function restoreLastTrashed(options: TrashOptions = {}): TrashRecord {
  const file = undoRecordPath(options);
  let record: TrashRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as TrashRecord;
  } catch {
    throw new CmdaiError('USAGE', 'There is nothing to undo: cmdai has not moved anything to the trash (or it was already restored).', {
      hint: 'Choose [t] "move to trash instead" in the menu for a plain rm, then `cmdai undo` puts the files back.',
    });
  }
  const taken = record.items.filter((item) => exists(item.original));
  if (taken.length > 0) {
    throw new CmdaiError('USAGE', `Not restored: something is already at ${taken.map((i) => JSON.stringify(i.original)).join(', ')}; nothing was moved.`, {
      hint: `Move or rename what is there now, then run \`cmdai undo\` again (the trashed copies are in ${path.dirname(path.dirname(record.items[0].trashed))}).`,
    });
  }
  const gone = record.items.filter((item) => !exists(item.trashed));
  if (gone.length > 0) {
    throw new CmdaiError('USAGE', `Not restored: ${gone.map((i) => JSON.stringify(i.original)).join(', ')} is no longer in the trash (emptied?); nothing was moved.`);
  }
  for (const item of record.items) {
    fs.mkdirSync(path.dirname(item.original), { recursive: true });
    fs.renameSync(item.trashed, item.original);
    if (item.info) fs.rmSync(item.info, { force: true });
  }
  fs.rmSync(file, { force: true });
  return record;
}

function writeRecord(record: TrashRecord, options: TrashOptions): void {
  const file = undoRecordPath(options);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** macOS: the user's ~/.Trash, with a unique name (Finder's "Put Back" data is private to it). */
function trashOnMac(file: string, home: string): TrashedItem {
  const dir = path.join(home, '.Trash');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.basename(file);
  for (let n = 1; ; n++) {
    const trashed = path.join(dir, n === 1 ? base : `${base} ${n}`);
    if (exists(trashed)) continue;
    fs.renameSync(file, trashed);
    return { original: file, trashed, info: '' };
  }
}

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
