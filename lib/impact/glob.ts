// Glob expansion by the shell's own rules, done by reading directories (nothing is run):
// `*`, `?` and `[...]` within one path segment; names starting with a dot only when the pattern's
// segment starts with one; `**` crosses directories in zsh and fish (and in bash with globstar),
// elsewhere it is a plain `*`. Symbolic links to directories are not descended into by `**`.
// A backslash makes the next character literal (quoted glob characters arrive escaped).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GlobOptions {
  /** Whether `**` matches any number of directories (zsh, fish, bash with `shopt -s globstar`). */
  globstar: boolean;
  /** Stops the expansion when it returns true (the time budget). */
  outOfTime: () => boolean;
}

/** Whether a word has glob characters that are not escaped. */
export function hasGlob(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** The pattern with escapes removed: the literal path it names when it has no glob characters. */
export function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}

/** Expands an absolute pattern to the existing paths it matches, sorted; [] when nothing matches. */
export async function expandGlob(pattern: string, options: GlobOptions): Promise<string[]> {
  if (!hasGlob(pattern)) {
    const literal = unescapeGlob(pattern);
    return (await exists(literal)) ? [literal] : [];
  }
  const segments = pattern.split('/').filter((segment, i) => segment !== '' || i === 0);
  const root = pattern.startsWith('/') ? '/' : '.';
  const results: string[] = [];
  await expandFrom(root, segments[0] === '' ? segments.slice(1) : segments, options, results);
  return [...new Set(results)].sort();
}

async function expandFrom(dir: string, segments: string[], options: GlobOptions, results: string[]): Promise<void> {
  if (options.outOfTime()) return;
  if (segments.length === 0) {
    results.push(dir);
    return;
  }
  const [segment, ...rest] = segments;
  if (segment === '**' && options.globstar) {
    // Zero directories, then each subdirectory (not through links), recursively.
    await expandFrom(dir, rest, options, results);
    for (const entry of await readDir(dir)) {
      if (options.outOfTime()) return;
      if (entry.isDirectory() && !entry.name.startsWith('.')) await expandFrom(path.join(dir, entry.name), segments, options, results);
    }
    return;
  }
  if (!hasGlob(segment)) {
    const next = path.join(dir, unescapeGlob(segment));
    if (rest.length === 0 ? await exists(next) : await isDirectory(next)) await expandFrom(next, rest, options, results);
    return;
  }
  const matcher = segmentMatcher(segment === '**' ? '*' : segment);
  for (const entry of await readDir(dir)) {
    if (options.outOfTime()) return;
    if (!matcher(entry.name)) continue;
    const next = path.join(dir, entry.name);
    if (rest.length === 0) results.push(next);
    else if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(next)))) await expandFrom(next, rest, options, results);
  }
}

/** A matcher for one segment; dotfiles only when the pattern itself starts with a dot. */
export function segmentMatcher(segment: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\' && i + 1 < segment.length) {
      source += escapeRegex(segment[++i]);
    } else if (c === '*') {
      source += '.*';
    } else if (c === '?') {
      source += '.';
    } else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = close;
    } else {
      source += escapeRegex(c);
    }
  }
  const regex = new RegExp(`^${source}$`, 's');
  const dotAllowed = segment.startsWith('.');
  return (name) => (dotAllowed || !name.startsWith('.')) && name !== '.' && name !== '..' && regex.test(name);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

async function readDir(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fs.promises.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.promises.lstat(file);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(file)).isDirectory();
  } catch {
    return false;
  }
}
