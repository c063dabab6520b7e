// Previews that ask the program itself, in a form that changes nothing: find with its deleting
// action replaced by -print0 (only when every other primary is free of side effects), `git clean -n`,
// and `git diff --name-only` for the changes a hard reset or a checkout of paths would discard.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { absolute, type PreviewRun } from './run';
import { expandGlob, hasGlob, unescapeGlob } from './glob';

/** find primaries that only test or steer the walk, by how many arguments they take. */
const FIND_TESTS_WITH_ARG = new Set([
  '-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-regex', '-iregex', '-regextype', '-type', '-xtype',
  '-size', '-mtime', '-mmin', '-atime', '-amin', '-ctime', '-cmin', '-newer', '-anewer', '-cnewer', '-perm', '-user',
  '-group', '-uid', '-gid', '-links', '-inum', '-samefile', '-maxdepth', '-mindepth', '-fstype', '-lname', '-ilname',
  '-used', '-context',
]);
const FIND_TESTS_NO_ARG = new Set([
  '-empty', '-readable', '-writable', '-executable', '-nouser', '-nogroup', '-depth', '-d', '-xdev', '-mount', '-prune',
  '-true', '-false', '-not', '!', '-a', '-and', '-o', '-or', '(', ')', ',', '-daystart', '-ignore_readdir_race',
  '-noignore_readdir_race', '-noleaf', '-quit', '-nowarn', '-warn',
]);
/** Output-only actions: they become -true so only what would be deleted is printed. */
const FIND_OUTPUT_NO_ARG = new Set(['-print', '-print0', '-ls']);
const DELETING_PROGRAMS = new Set(['rm', 'unlink', 'rmdir']);

export async function previewFind(args: string[], cwd: string, run: PreviewRun): Promise<void> {
  const plain = args.map(unescapeGlob);
  let i = 0;
  // Global options before the starting points.
  while (i < plain.length && /^-[HLP]$|^-O\d$|^-D$/.test(plain[i])) {
    if (plain[i] === '-L') return notPreviewed(run, cwd, 'find -L follows symbolic links; its matches were not previewed');
    i += plain[i] === '-D' ? 2 : 1;
  }
  const starts: string[] = [];
  while (i < plain.length && !plain[i].startsWith('-') && plain[i] !== '(' && plain[i] !== '!' && plain[i] !== ',') starts.push(args[i++]);

  // Only finds that delete are previewed; anything else they do is not this preview's business.
  const deleting = plain.some((w, j) => j >= i && (w === '-delete' || ((w === '-exec' || w === '-execdir') && DELETING_PROGRAMS.has(path.basename(plain[j + 1] ?? '')))));
  if (!deleting) return;
  run.operations.add('delete');
  const expression: string[] = [];
  let recursive = false;
  while (i < plain.length) {
    const word = plain[i];
    if (word === '-delete') {
      expression.push('-print0');
      i++;
    } else if (word === '-exec' || word === '-execdir') {
      const end = plain.findIndex((w, j) => j > i && (w === ';' || (w === '+' && plain[j - 1] === '{}')));
      if (end < 0) return;
      const program = path.basename(plain[i + 1] ?? '');
      if (!DELETING_PROGRAMS.has(program)) return notPreviewed(run, cwd, `find runs ${program || 'a program'} on what it finds; its matches were not previewed`);
      const flags = plain.slice(i + 2, end).filter((w) => w.startsWith('-'));
      recursive ||= program === 'rm' && flags.some((f) => /^-[a-zA-Z]*[rR]/.test(f) || f === '--recursive');
      expression.push('-print0');
      i = end + 1;
    } else if (word === '-follow') {
      return notPreviewed(run, cwd, 'find -follow follows symbolic links; its matches were not previewed');
    } else if (FIND_OUTPUT_NO_ARG.has(word)) {
      expression.push('-true');
      i++;
    } else if (word === '-printf') {
      expression.push('-true');
      i += 2;
    } else if (FIND_TESTS_WITH_ARG.has(word) || /^-newer[aBcmt][aBcmt]$/.test(word)) {
      expression.push(word, plain[i + 1] ?? '');
      i += 2;
    } else if (FIND_TESTS_NO_ARG.has(word)) {
      expression.push(word);
      i++;
    } else {
      // -ok, -fprint, -fls, an -exec of another program, or a primary this preview does not know.
      return notPreviewed(run, cwd, `find's ${word} is not known to be free of side effects; its matches were not previewed`);
    }
  }

  const startPaths: string[] = [];
  for (const start of starts.length > 0 ? starts : ['.']) {
    if (hasGlob(start)) {
      startPaths.push(...(await expandGlob(absolute(start, cwd), { globstar: run.globstar, outOfTime: run.outOfTime })));
    } else {
      startPaths.push(unescapeGlob(start));
    }
  }
  if (startPaths.length === 0) return;
  const found = await runForList('find', [...startPaths.map((s) => (s.startsWith('-') ? `./${s}` : s)), ...expression], cwd, run, '\0');
  for (const entry of found) {
    if (run.outOfTime()) return;
    await run.counter.add(path.resolve(cwd, entry), recursive);
  }
}

export async function previewGit(args: string[], cwd: string, run: PreviewRun): Promise<void> {
  const plain = args.map(unescapeGlob);
  // Global options (-C dir, -c key=value) before the subcommand.
  let i = 0;
  let dir = cwd;
  while (i < plain.length && plain[i].startsWith('-')) {
    if (plain[i] === '-C') dir = path.resolve(dir, plain[i + 1] ?? '.');
    i += plain[i] === '-C' || plain[i] === '-c' ? 2 : 1;
  }
  const sub = plain[i];
  const rest = plain.slice(i + 1);
  if (sub === 'clean') return gitClean(rest, dir, run);
  if (sub === 'reset' && rest.includes('--hard')) {
    const commit = rest.find((w) => !w.startsWith('-'));
    return gitDiscard(commit ?? 'HEAD', [], dir, run);
  }
  if (sub === 'checkout' || sub === 'restore') {
    if (sub === 'restore' && (rest.includes('--staged') || rest.includes('-S')) && !rest.includes('--worktree') && !rest.includes('-W')) return;
    const dash = rest.indexOf('--');
    const source = sub === 'restore' ? optionValue(rest, '-s', '--source') : dash > 0 ? rest.slice(0, dash).find((w) => !w.startsWith('-')) : undefined;
    const paths = dash >= 0 ? rest.slice(dash + 1) : sub === 'restore' ? positionalsAfterOptions(rest, new Set(['-s', '--source'])) : [];
    if (paths.length === 0) return; // switching branches keeps local changes (git refuses otherwise)
    return gitDiscard(source, paths, dir, run);
  }
}

async function gitClean(rest: string[], dir: string, run: PreviewRun): Promise<void> {
  if (rest.some((w) => w === '-i' || w === '--interactive' || /^-[a-zA-Z]*i/.test(w))) return;
  const kept: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (word === '--') {
      kept.push(...rest.slice(i));
      break;
    }
    if (word === '-e' || word === '--exclude') {
      kept.push(word, rest[i + 1] ?? '');
      i++;
    } else if (/^-[a-zA-Z]+$/.test(word)) {
      const letters = word.slice(1).replace(/[fnq]/g, '');
      if (letters) kept.push(`-${letters}`);
    } else if (word !== '--force' && word !== '--dry-run' && word !== '--quiet') {
      kept.push(word);
    }
  }
  run.operations.add('delete');
  const lines = await runForList('git', ['-c', 'core.quotePath=true', 'clean', '-n', ...kept], dir, run, '\n');
  for (const line of lines) {
    const match = /^Would remove (.*)$/.exec(line);
    if (!match) continue;
    const name = unquoteGitPath(match[1]);
    // A directory (listed with a trailing slash) goes whole.
    await run.counter.add(path.resolve(dir, name.replace(/\/$/, '')), name.endsWith('/'));
  }
}

async function gitDiscard(commit: string | undefined, paths: string[], dir: string, run: PreviewRun): Promise<void> {
  run.operations.add('discard-changes');
  const top = (await runForList('git', ['rev-parse', '--show-toplevel'], dir, run, '\n'))[0];
  if (!top) return note(run, 'not inside a git repository here; nothing to discard');
  const diffArgs = ['diff', '--name-only', '-z', ...(commit ? [commit] : []), '--', ...paths];
  const changed = await runForList('git', diffArgs, dir, run, '\0');
  for (const file of changed) {
    if (run.outOfTime()) return;
    await run.counter.add(path.resolve(top, file), false);
  }
}

function optionValue(words: string[], short: string, long: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if (words[i] === short || words[i] === long) return words[i + 1];
    if (words[i].startsWith(`${long}=`)) return words[i].slice(long.length + 1);
  }
  return undefined;
}

function positionalsAfterOptions(words: string[], withValue: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i].startsWith('-')) {
      if (withValue.has(words[i])) i++;
    } else out.push(words[i]);
  }
  return out;
}

/** Git's C-style quoting of unusual names: "a\nb" -> a, newline, b. */
export function unquoteGitPath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"')) return text;
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      bytes.push(...Buffer.from(body[i], 'utf8'));
      continue;
    }
    const next = body[i + 1];
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Runs a read-only program and splits its output; stops it when the budget runs out (what was
 * printed so far still counts, and the preview says "at least").
 */
function runForList(program: string, args: string[], cwd: string, run: PreviewRun, separator: string): Promise<string[]> {
  return new Promise((resolve) => {
    const remaining = Math.max(1, run.deadline - Date.now());
    let output = '';
    let settled = false;
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' } });
    const timer = setTimeout(() => {
      run.counter.outOfTime();
      child.kill('SIGKILL');
    }, remaining);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    const done = (entries: string[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(entries);
    };
    child.on('error', () => {
      note(run, `${program} is not available here; its part was not previewed`);
      done([]);
    });
    child.on('close', (code, signal) => {
      // An interrupted listing still names real paths, except possibly a partial last one.
      const parts = output.split(separator);
      const last = parts.pop();
      if (signal === null && last) parts.push(last);
      if (signal !== null) run.counter.outOfTime();
      else if (code !== 0 && program === 'find') run.counter.markIncomplete('find could not read some directories'); // it prints what it could read, then fails
      done(parts.filter((p) => p !== ''));
    });
  });
}

/** A part that deletes but cannot be previewed safely: the counts become a lower bound. */
function notPreviewed(run: PreviewRun, cwd: string, message: string): void {
  run.counter.markIncomplete(message);
}

function note(run: PreviewRun, message: string): void {
  if (!run.notes.includes(message)) run.notes.push(message);
}
