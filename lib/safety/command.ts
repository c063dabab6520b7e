// The unit every judge looks at: one simple command with its words resolved.
import type { Span } from './types';

export type Dialect = 'posix' | 'pwsh' | 'cmd';
/** The language a piece of code is read in: a dialect, or zsh/fish syntax whose commands are POSIX ones. */
export type ShellDialect = Dialect | 'zsh' | 'fish';

export interface Word {
  /** The word as the command will receive it: quotes and escapes removed, known variables substituted,
   *  unknown expansions as markers (see markers.ts). */
  value: string;
  span: Span;
  /** Unquoted glob characters were present. */
  glob: boolean;
  /** When the word is the output of a command or process substitution: where that output comes from. */
  producedBy?: DataSource;
  /** Unquoted braces were present, so `{a,b}` expands to several words. */
  braces?: boolean;
}

/** What a command reads as its input, as far as it can be known before running. */
export type DataSource =
  | { kind: 'text'; text: string; span: Span; decoded?: boolean } // heredoc, here-string, static echo/printf, decoded base64
  | { kind: 'network'; span: Span; tool: string } // curl, wget, ...
  | { kind: 'obfuscated'; span: Span; tool: string } // base64/xxd/gunzip of unknown input
  | { kind: 'file'; span: Span } // a local file (cat script.sh)
  | { kind: 'unknown'; span: Span; tool?: string; items?: { paths: Word[]; recursive: boolean; narrowed?: boolean } };

export interface Redirect {
  /** The operator: `>`, `>>`, `<`, `&>`, `>&`, `<>`, `>|`, ... */
  op: string;
  target: Word;
  span: Span;
  /** The descriptor written before the operator (`2>`, `0>&`), when there is one. */
  fd?: string;
}

export interface SimpleCommand {
  /** Lower-cased base name of the program: `/usr/bin/GIT` is `git`. */
  name: string;
  nameWord: Word;
  args: Word[];
  redirects: Redirect[];
  stdin?: DataSource;
  span: Span;
  dialect: Dialect;
  /** Wrappers unwrapped to reach this command (sudo, env, ...). */
  wrappers: string[];
  /** The command's text as written, when it came from the parser. */
  source?: string;
}

export function commandBaseName(value: string): string {
  const slash = Math.max(value.lastIndexOf('/'), value.lastIndexOf('\\'));
  let base = slash >= 0 ? value.slice(slash + 1) : value;
  base = base.toLowerCase();
  if (base.endsWith('.exe')) base = base.slice(0, -4);
  return base;
}

/** Fold Unicode look-alikes so `‐‐hard` (U+2010) reads as `--hard` and full-width letters as ASCII. */
export function foldLookalikes(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return text.normalize('NFKC').replace(/[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g, '-');
}
