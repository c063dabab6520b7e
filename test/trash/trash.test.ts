// Trash instead of delete: files go to the trash of their own filesystem with a valid .trashinfo
// (freedesktop.org Trash specification), `cmdai undo` restores the last set, and undo refuses when
// something new is at an original path. The menu's [t] is driven in a real pseudo-terminal.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { moveToTrash, restoreLastTrashed, undoRecordPath } from '../../lib/trash';
import { decodeTrashPath, readTrashInfo, trashFor } from '../../lib/trash/freedesktop';
import { trashableTargets } from '../../lib/trash/targets';
import { ensureBuilt, expectNoStackTrace, isolatedEnv, PtySession, runCli } from '../cli/helpers';

jest.setTimeout(120_000);

let root: string;
let home: string;
let env: NodeJS.ProcessEnv;
const options = () => ({ env, home, platform: 'linux' as const });

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-trash-'));
  home = path.join(root, 'home');
  fs.mkdirSync(home);
  env = { HOME: home, XDG_DATA_HOME: path.join(home, '.local', 'share'), XDG_STATE_HOME: path.join(home, '.local', 'state') };
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const TRASHINFO = /^\[Trash Info\]\nPath=([^\n]+)\nDeletionDate=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\n$/;

test('a file on the home filesystem goes to $XDG_DATA_HOME/Trash with a valid .trashinfo', () => {
  const file = path.join(root, 'work', 'report 100%.txt');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, 'draft');
  const record = moveToTrash([file], 'rm "report 100%.txt"', options());
  const trash = path.join(home, '.local', 'share', 'Trash');
  expect(record.items).toEqual([{ original: file, trashed: path.join(trash, 'files', 'report 100%.txt'), info: path.join(trash, 'info', 'report 100%.txt.trashinfo') }]);
  expect(fs.existsSync(file)).toBe(false);
  expect(fs.readFileSync(record.items[0].trashed, 'utf8')).toBe('draft');
  const info = TRASHINFO.exec(fs.readFileSync(record.items[0].info, 'utf8'))!;
  expect(info).not.toBeNull();
  // The path is absolute in the home trash, and percent-encoded.
  expect(info[1]).toBe(file.replace(/ /g, '%20').replace(/%(?!20)/g, '%25'));
  expect(decodeTrashPath(info[1])).toBe(file);
  expect(Math.abs(new Date(info[2]).getTime() - Date.now())).toBeLessThan(24 * 3600 * 1000);
});

test('a second item of the same name gets a new name; neither is overwritten', () => {
  for (const dir of ['a', 'b']) {
    fs.mkdirSync(path.join(root, dir));
    fs.writeFileSync(path.join(root, dir, 'notes.md'), dir);
  }
  const first = moveToTrash([path.join(root, 'a', 'notes.md')], 'rm a/notes.md', options()).items[0];
  const second = moveToTrash([path.join(root, 'b', 'notes.md')], 'rm b/notes.md', options()).items[0];
  expect(path.basename(first.trashed)).toBe('notes.md');
  expect(path.basename(second.trashed)).toBe('notes.2.md');
  expect(fs.readFileSync(first.trashed, 'utf8')).toBe('a');
  expect(readTrashInfo(second.info).path).toBe(path.join(root, 'b', 'notes.md'));
});

test('directories go whole, links as links', () => {
  fs.mkdirSync(path.join(root, 'build', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'sub', 'x.o'), 'o');
  fs.symlinkSync(home, path.join(root, 'to-home'));
  const record = moveToTrash([path.join(root, 'build'), path.join(root, 'to-home')], 'rm -r build to-home', options());
  expect(fs.readFileSync(path.join(record.items[0].trashed, 'sub', 'x.o'), 'utf8')).toBe('o');
  expect(fs.lstatSync(record.items[1].trashed).isSymbolicLink()).toBe(true);
  expect(fs.existsSync(home)).toBe(true);
});

const otherFs = ['/dev/shm'].find((dir) => {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).dev !== fs.statSync(os.tmpdir()).dev;
  } catch {
    return false;
  }
});

(otherFs ? test : test.skip)('a file on another filesystem goes to that filesystem\'s .Trash-$uid, with a relative Path', () => {
  const dir = fs.mkdtempSync(path.join(otherFs!, 'cmdai-trash-'));
  const uid = process.getuid!();
  const topTrash = path.join(otherFs!, `.Trash-${uid}`);
  const existed = fs.existsSync(topTrash);
  try {
    const file = path.join(dir, 'big.iso');
    fs.writeFileSync(file, 'iso');
    expect(trashFor(file, { ...options(), uid }).dir).toBe(topTrash);
    const item = moveToTrash([file], 'rm big.iso', { ...options(), uid }).items[0];
    expect(path.dirname(path.dirname(item.trashed))).toBe(topTrash);
    expect(fs.statSync(item.trashed).dev).toBe(fs.statSync(dir).dev); // a rename, never a copy
    const info = TRASHINFO.exec(fs.readFileSync(item.info, 'utf8'))!;
    expect(info[1]).toBe(path.relative(otherFs!, file));
    expect(readTrashInfo(item.info).path).toBe(file);
    restoreLastTrashed(options());
    expect(fs.readFileSync(file, 'utf8')).toBe('iso');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (!existed) fs.rmSync(topTrash, { recursive: true, force: true });
  }
});

test('undo restores the last set and removes its info files', () => {
  const files = ['one.txt', 'two.txt'].map((name) => path.join(root, name));
  for (const file of files) fs.writeFileSync(file, path.basename(file));
  const record = moveToTrash(files, 'rm one.txt two.txt', options());
  const restored = restoreLastTrashed(options());
  expect(restored.items.map((i) => i.original)).toEqual(files);
  for (const file of files) expect(fs.readFileSync(file, 'utf8')).toBe(path.basename(file));
  for (const item of record.items) expect(fs.existsSync(item.info)).toBe(false);
  expect(fs.existsSync(undoRecordPath(options()))).toBe(false);
  expect(() => restoreLastTrashed(options())).toThrow(/nothing to undo/);
});

test('undo refuses, moving nothing, when something has since appeared at an original path', () => {
  const files = ['keep.txt', 'taken.txt'].map((name) => path.join(root, name));
  for (const file of files) fs.writeFileSync(file, 'old');
  const record = moveToTrash(files, 'rm keep.txt taken.txt', options());
  fs.writeFileSync(files[1], 'new work');
  expect(() => restoreLastTrashed(options())).toThrow(/already at .*taken\.txt.*nothing was moved/);
  expect(fs.readFileSync(files[1], 'utf8')).toBe('new work');
  expect(fs.existsSync(files[0])).toBe(false);
  for (const item of record.items) expect(fs.existsSync(item.trashed)).toBe(true);
  // Once the way is clear, undo works.
  fs.renameSync(files[1], files[1] + '.mine');
  restoreLastTrashed(options());
  expect(fs.readFileSync(files[1], 'utf8')).toBe('old');
});

test('only a plain rm of paths that all exist is offered the trash', async () => {
  fs.mkdirSync(path.join(root, 'build'));
  fs.writeFileSync(path.join(root, 'a.log'), '');
  fs.writeFileSync(path.join(root, 'b.log'), '');
  const where = { cwd: root, home };
  expect(await trashableTargets('rm -rf build *.log', where)).toEqual([path.join(root, 'build'), path.join(root, 'a.log'), path.join(root, 'b.log')]);
  expect(await trashableTargets('rm -rf build missing', where)).toBeUndefined();
  expect(await trashableTargets('rm *.tmp', where)).toBeUndefined();
  expect(await trashableTargets('sudo rm -rf build', where)).toBeUndefined();
  expect(await trashableTargets('rm -rf build && ls', where)).toBeUndefined();
  expect(await trashableTargets('rm --one-file-system -rf build', where)).toBeUndefined();
  expect(await trashableTargets('rm -rf ~', where)).toBeUndefined();
  expect(await trashableTargets('find . -delete', where)).toBeUndefined();
});

describe('the CLI', () => {
  let cliEnv: NodeJS.ProcessEnv;
  beforeAll(() => ensureBuilt());
  beforeEach(() => {
    cliEnv = isolatedEnv({ HOME: home, XDG_DATA_HOME: env.XDG_DATA_HOME, XDG_STATE_HOME: env.XDG_STATE_HOME });
  });

  test('cmdai undo with nothing trashed says so (exit 2)', () => {
    const run = runCli(['undo'], { env: cliEnv, cwd: root });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/nothing to undo/);
    expectNoStackTrace(run.stderr);
  });

  test('[t] in the menu moves a plain rm\'s targets to the trash, and cmdai undo puts them back', async () => {
    fs.mkdirSync(path.join(root, 'build', 'obj'), { recursive: true });
    fs.writeFileSync(path.join(root, 'build', 'obj', 'main.o'), 'object code');
    fs.writeFileSync(path.join(root, 'old.log'), 'log');
    const cli = new PtySession(['--shell', 'bash', '--command', 'rm -r build old.log'], cliEnv, root);
    try {
      await cli.waitFor('[t] trash instead');
      await cli.waitFor(/Impact: would delete 2 files in 2 directories/);
      cli.press('t');
      expect(await cli.exitCode()).toBe(0);
      expect(cli.screen).toMatch(/Moved 2 item\(s\) to the trash/);
    } finally {
      cli.kill();
    }
    expect(fs.existsSync(path.join(root, 'build'))).toBe(false);
    const trashFiles = path.join(env.XDG_DATA_HOME!, 'Trash', 'files');
    expect(fs.readdirSync(trashFiles).sort()).toEqual(['build', 'old.log']);

    const undo = runCli(['undo'], { env: cliEnv, cwd: root });
    expect(undo.status).toBe(0);
    expect(undo.stdout).toContain(path.join(root, 'old.log'));
    expect(fs.readFileSync(path.join(root, 'build', 'obj', 'main.o'), 'utf8')).toBe('object code');
    expect(fs.readdirSync(trashFiles)).toEqual([]);
  });
});
