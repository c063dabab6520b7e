// previewImpact on real temporary trees: known numbers of files and bytes, links never followed,
// a budget that cuts huge trees short ("at least"), unreadable directories and odd names.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeImpact, previewImpact } from '../../lib/impact';
import { splitPlainCommands } from '../../lib/impact/words';
import { ensureBuilt } from '../cli/helpers';

jest.setTimeout(180_000);

/** Generous: these tests check counts, not speed; the budget test below uses the default. */
const ROOMY = { timeoutMs: 60_000 };

let root: string;
let home: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-impact-'));
  fs.chmodSync(root, 0o755);
  home = path.join(root, 'home');
  fs.mkdirSync(home);
});
afterEach(() => {
  spawnSync('chmod', ['-R', 'u+rwx', root]);
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes files of the given sizes; returns the total bytes. */
function writeFiles(files: Record<string, number>, base = root): number {
  let total = 0;
  for (const [name, size] of Object.entries(files)) {
    const file = path.join(base, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(size, 120));
    total += size;
  }
  return total;
}

function git(cwd: string, ...args: string[]): string {
  const run = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

test('rm -rf build counts every file, directory and byte below it, and names the largest', async () => {
  const bytes = writeFiles({ 'build/a.o': 1000, 'build/b.o': 2500, 'build/sub/c.o': 40, 'build/sub/deeper/d.bin': 70_000, 'src/main.c': 99 });
  const preview = (await previewImpact('rm -rf build', { cwd: root, home, ...ROOMY }))!;
  expect(preview).toMatchObject({ files: 4, directories: 3, bytes: bytes - 99, complete: true, operations: ['delete'] });
  expect(preview.largest[0]).toEqual({ path: path.join(root, 'build/sub/deeper/d.bin'), bytes: 70_000 });
  expect(preview.largest.map((f) => f.bytes)).toEqual([70_000, 2500, 1000, 40]);
  expect(describeImpact(preview)).toBe('would delete 4 files in 3 directories (74 KB)');
});

test('cd before rm is followed: the path is resolved where the command will be', async () => {
  writeFiles({ 'app/cache/x': 10, 'app/cache/y': 20, 'cache/z': 5 });
  const preview = (await previewImpact('cd app && rm -rf cache', { cwd: root, home, ...ROOMY }))!;
  expect(preview).toMatchObject({ files: 2, bytes: 30 });
});

test("find . -name '*.log' -delete counts exactly what find would match", async () => {
  writeFiles({ 'a.log': 10, 'x/b.log': 20, 'x/y/c.log': 30, 'x/y/keep.txt': 1000, 'x/.hidden.log': 7, 'logs.d/readme': 3 });
  const preview = (await previewImpact("find . -name '*.log' -delete", { cwd: root, home, ...ROOMY }))!;
  expect(preview).toMatchObject({ files: 4, directories: 0, bytes: 67, complete: true, operations: ['delete'] });
  // Other primaries that only test are kept: -type f -size limits the same way.
  const bigOnly = (await previewImpact("find . -type f -name '*.log' -size +15c -exec rm -f {} +", { cwd: root, home, ...ROOMY }))!;
  expect(bigOnly).toMatchObject({ files: 2, bytes: 50 });
});

test('find with a primary that has side effects is not run at all', async () => {
  writeFiles({ 'a.log': 10 });
  const preview = await previewImpact(`find . -name '*.log' -fprint ${path.join(root, 'out.txt')} -delete`, { cwd: root, home, ...ROOMY });
  expect(fs.existsSync(path.join(root, 'out.txt'))).toBe(false);
  expect(preview?.files ?? 0).toBe(0);
  expect(preview?.notes.join(' ') ?? '').toMatch(/-fprint is not known to be free of side effects/);
});

test('git clean -fdx in a real repository counts untracked and ignored files, not tracked ones', async () => {
  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles({ 'src/main.c': 500, '.gitignore': 6 }, repo);
  fs.writeFileSync(path.join(repo, '.gitignore'), 'dist/\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'init');
  writeFiles({ 'notes.txt': 11, 'tmp/scratch/a': 100, 'tmp/scratch/b': 200, 'dist/app.js': 3000 }, repo);
  const preview = (await previewImpact('git clean -fdx', { cwd: repo, home, ...ROOMY }))!;
  expect(preview).toMatchObject({ files: 4, bytes: 3311, complete: true, operations: ['delete'] });
  // Without -x the ignored dist/ stays, and without -d untracked directories stay too.
  expect((await previewImpact('git clean -fd', { cwd: repo, home, ...ROOMY }))!).toMatchObject({ files: 3, bytes: 311 });
  expect((await previewImpact('git clean -f', { cwd: repo, home, ...ROOMY }))!).toMatchObject({ files: 1, bytes: 11 });
  // Nothing was removed by the previews.
  expect(fs.existsSync(path.join(repo, 'tmp/scratch/b'))).toBe(true);
});

test('git reset --hard and git checkout -- . count the changed files whose changes would be lost', async () => {
  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles({ 'a.txt': 1, 'b.txt': 1, 'c.txt': 1 }, repo);
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'init');
  fs.writeFileSync(path.join(repo, 'a.txt'), 'changed!');
  fs.writeFileSync(path.join(repo, 'new-staged.txt'), 'staged');
  git(repo, 'add', 'new-staged.txt');
  fs.writeFileSync(path.join(repo, 'untracked.txt'), 'left alone');
  expect((await previewImpact('git reset --hard', { cwd: repo, home, ...ROOMY }))!).toMatchObject({ files: 2, bytes: 14, operations: ['discard-changes'] });
  expect((await previewImpact('git checkout -- .', { cwd: repo, home, ...ROOMY }))!).toMatchObject({ files: 1, bytes: 8 });
  expect(fs.readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('changed!');
});

test('sed -i over a glob counts the files the shell would pass it (no dotfiles)', async () => {
  writeFiles({ 'a.txt': 3, 'b.txt': 4, '.hidden.txt': 5, 'c.md': 6, 'sub/d.txt': 7 });
  const preview = (await previewImpact("sed -i 's/a/b/' *.txt", { cwd: root, home, ...ROOMY }))!;
  expect(preview).toMatchObject({ files: 2, bytes: 7, operations: ['edit'] });
  expect((await previewImpact("sed -i -e 's/a/b/' .*.txt c.md", { cwd: root, home, ...ROOMY }))!).toMatchObject({ files: 2, bytes: 11 });
});

test('** crosses directories in zsh, not in bash without globstar', async () => {
  writeFiles({ 'a.txt': 1, 'x/b.txt': 2, 'x/y/c.txt': 4 });
  expect((await previewImpact("sed -i 's/a/b/' **/*.txt", { cwd: root, home, shell: 'zsh', ...ROOMY }))!).toMatchObject({ files: 3, bytes: 7 });
  expect((await previewImpact("sed -i 's/a/b/' **/*.txt", { cwd: root, home, shell: 'bash', ...ROOMY }))!).toMatchObject({ files: 1, bytes: 2 });
});

test('chmod -R counts the whole tree; without -R only the named paths', async () => {
  writeFiles({ 'dist/a': 1, 'dist/b/c': 2 });
  expect((await previewImpact('chmod -R 755 dist', { cwd: root, home, ...ROOMY }))!).toMatchObject({ files: 2, directories: 2, operations: ['chmod'] });
  expect((await previewImpact('chown me dist', { cwd: root, home, ...ROOMY }))!).toMatchObject({ files: 0, directories: 1, operations: ['chown'] });
});

test('links to / and to $HOME inside the target are counted as links, never followed', async () => {
  writeFiles({ 'build/real.o': 100 });
  writeFiles({ 'precious/thesis.pdf': 5_000_000 }, home);
  fs.symlinkSync('/', path.join(root, 'build', 'to-root'));
  fs.symlinkSync(home, path.join(root, 'build', 'to-home'));
  const preview = (await previewImpact('rm -rf build', { cwd: root, home, ...ROOMY }))!;
  expect(preview.files).toBe(3); // real.o and the two links themselves
  expect(preview.directories).toBe(1);
  expect(preview.bytes).toBe(100 + '/'.length + home.length);
  expect(preview.largest.map((f) => f.path)).toEqual([path.join(root, 'build/real.o')]);
  expect(preview.complete).toBe(true);
});

test('names with newlines are counted once each, by rm, find and git clean', async () => {
  writeFiles({ 'build/two\nlines.o': 5, 'build/plain.o': 6 });
  expect((await previewImpact('rm -r build', { cwd: root, home, ...ROOMY }))!).toMatchObject({ files: 2, bytes: 11 });
  expect((await previewImpact("find . -name '*.o' -delete", { cwd: root, home, ...ROOMY }))!).toMatchObject({ files: 2, bytes: 11 });
  git(root, 'init', '-q');
  const clean = (await previewImpact('git clean -fd', { cwd: root, home, ...ROOMY }))!;
  expect(clean.largest.map((f) => f.path)).toContain(path.join(root, 'build', 'two\nlines.o'));
  expect(clean).toMatchObject({ files: 2, bytes: 11 });
});

test('unreadable directories are noted and make the counts a lower bound', async () => {
  ensureBuilt();
  writeFiles({ 'build/ok/a': 10, 'build/locked/secret': 20 });
  fs.chmodSync(path.join(root, 'build', 'locked'), 0o000);
  // As root every directory is readable, so the preview runs as an unprivileged user then.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const run = spawnSync(process.execPath, [path.join(__dirname, 'scripts', 'preview-as-user.js'), 'rm -rf build', root], { encoding: 'utf8', ...asUser });
  expect(run.stderr).toBe('');
  const preview = JSON.parse(run.stdout);
  expect(preview).toMatchObject({ files: 1, bytes: 10, complete: false });
  expect(preview.notes.join(' ')).toMatch(/1 place could not be read.*locked/);
});

test('a tree of 200,000 files is cut short by the default budget and says "at least"', async () => {
  // Making 200,000 files takes minutes on a busy machine; the preview itself stops at its budget.
  const big = path.join(root, 'big');
  fs.mkdirSync(big);
  // 400 directories of 500 empty files, made by the shell for speed.
  const made = spawnSync('bash', ['-c', 'for d in $(seq 1 400); do mkdir "$d"; (cd "$d" && seq 1 500 | xargs touch); done'], { cwd: big });
  expect(made.status).toBe(0);
  const preview = (await previewImpact('rm -rf big', { cwd: root, home }))!;
  expect(preview.complete).toBe(false);
  expect(preview.files).toBeLessThan(200_000);
  expect(preview.notes.join(' ')).toMatch(/time budget ran out/);
  expect(describeImpact(preview)).toMatch(/^would delete at least [\d,]+ files? in [\d,]+ director(y|ies) \(at least /);
}, 900_000);

test('commands that touch nothing local have no preview', async () => {
  expect(await previewImpact('ls -la', { cwd: root, home })).toBeUndefined();
  expect(await previewImpact('git status', { cwd: root, home })).toBeUndefined();
  expect(await previewImpact('curl https://example.com', { cwd: root, home })).toBeUndefined();
});

test('the command splitter refuses what it cannot read safely', () => {
  expect(splitPlainCommands('rm -rf "$(pwd)"/build')).toBeUndefined();
  expect(splitPlainCommands('rm -rf $DIR')).toBeUndefined();
  expect(splitPlainCommands('cat <<EOF\nx\nEOF')).toBeUndefined();
  expect(splitPlainCommands("rm -f 'a b' c\\*d && echo ok > out.txt 2>&1")).toEqual([
    { words: ['rm', '-f', 'a b', 'c\\*d'], redirects: [] },
    { words: ['echo', 'ok'], redirects: [{ op: '>', target: 'out.txt' }] },
  ]);
  expect(splitPlainCommands('rm ~/x', '/home/u')).toEqual([{ words: ['rm', '/home/u/x'], redirects: [] }]);
});
