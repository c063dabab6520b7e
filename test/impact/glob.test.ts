// Glob expansion by the shell's rules, on a real directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandGlob, hasGlob, segmentMatcher, unescapeGlob } from '../../lib/impact/glob';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-glob-'));
  for (const name of ['a1.txt', 'a2.txt', 'b.txt', '.dot.txt', 'c]d', 'star*name', 'x/y/z.txt', 'x/.h/q.txt']) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), '');
  }
  fs.symlinkSync(path.join(root, 'x'), path.join(root, 'link-to-x'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const expand = (pattern: string, globstar = false) => expandGlob(path.join(root, pattern), { globstar, outOfTime: () => false }).then((found) => found.map((f) => path.relative(root, f)));

test('* ? and [...] match within one segment; dotfiles only when the pattern starts with a dot', async () => {
  expect(await expand('*.txt')).toEqual(['a1.txt', 'a2.txt', 'b.txt']);
  expect(await expand('a?.txt')).toEqual(['a1.txt', 'a2.txt']);
  expect(await expand('[!a]*.txt')).toEqual(['b.txt']);
  expect(await expand('[ab]1.txt')).toEqual(['a1.txt']);
  expect(await expand('.*.txt')).toEqual(['.dot.txt']);
  expect(await expand('*/y/*.txt')).toEqual(['link-to-x/y/z.txt', 'x/y/z.txt']);
});

test('** crosses directories only with globstar, and never through links or into dot directories', async () => {
  expect(await expand('**/*.txt', true)).toEqual(['a1.txt', 'a2.txt', 'b.txt', 'x/y/z.txt']);
  expect(await expand('**/*.txt', false)).toEqual([]);
});

test('escaped glob characters are literal', async () => {
  expect(await expand('star\\*name')).toEqual(['star*name']);
  expect(hasGlob('star\\*name')).toBe(false);
  expect(unescapeGlob('a\\*b\\\\c')).toBe('a*b\\c');
  expect(segmentMatcher('c]d')('c]d')).toBe(true);
  expect(await expand('nothing-*')).toEqual([]);
});
