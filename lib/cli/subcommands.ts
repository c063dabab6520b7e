// The subcommand table, and the rule that decides whether `cmdai <word> ...` is that subcommand
// or a request that happens to start with its name (`cmdai init a new git repo here`).
// Kept free of heavy imports: every invocation reads it before anything else is loaded.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the words after a subcommand's name must look like to be its arguments. */
export type ArgumentShape =
  /** No words at all (`doctor`, `bench`). */
  | { kind: 'none' }
  /** The first word is one of a few actions or names (`init bash`, `model list`). */
  | { kind: 'choice'; choices: readonly string[]; what: string }
  /** A shell command (`check`, `explain`): see commandWordsFit. */
  | { kind: 'command' };

export interface Subcommand {
  name: string;
  /** Shown in `cmdai --help` without loading the module. */
  usage: string;
  describe: string;
  takes: ArgumentShape;
  /** The module path under lib/cli/commands/. */
  module: string;
}

/** A new subcommand is one entry here (and its module in lib/cli/commands/). */
export const SUBCOMMANDS: readonly Subcommand[] = [
  { name: 'explain', usage: 'explain <command..>', describe: 'Explain what a command does, and rate its risk', takes: { kind: 'command' }, module: 'explain' },
  { name: 'check', usage: 'check [command..]', describe: "Rate a command's risk (no model needed; also reads stdin)", takes: { kind: 'command' }, module: 'check' },
  { name: 'doctor', usage: 'doctor', describe: 'Show platform, shell, engine, model and backend status', takes: { kind: 'none' }, module: 'doctor' },
  {
    name: 'config',
    usage: 'config <get|set|unset|path>',
    describe: 'Read or change settings',
    takes: { kind: 'choice', choices: ['get', 'set', 'unset', 'path'], what: 'get, set, unset or path' },
    module: 'config',
  },
  {
    name: 'init',
    usage: 'init <shell>',
    describe: 'Print a shell integration (bash, zsh, fish, powershell)',
    takes: { kind: 'choice', choices: ['bash', 'zsh', 'fish', 'powershell'], what: 'a shell name (bash, zsh, fish or powershell)' },
    module: 'init',
  },
  {
    name: 'model',
    usage: 'model <list|pull|rm|path|verify>',
    describe: 'Manage downloaded models',
    takes: { kind: 'choice', choices: ['list', 'pull', 'rm', 'path', 'verify'], what: 'list, pull, rm, path or verify' },
    module: 'model',
  },
  { name: 'bench', usage: 'bench', describe: 'Measure model load, time to first token and generation speed', takes: { kind: 'none' }, module: 'bench' },
  { name: 'serve', usage: 'serve', describe: 'Run, show (--status) or stop (--stop) the resident model server', takes: { kind: 'none' }, module: 'serve' },
  { name: 'undo', usage: 'undo', describe: 'Restore the files cmdai last moved to the trash', takes: { kind: 'none' }, module: 'undo' },
];

/** Options that take a value (of any subcommand), so the value is not mistaken for a word. */
export const VALUE_FLAGS = new Set([
  '--model',
  '--backend',
  '--endpoint',
  '--api-key',
  '--timeout',
  '--retries',
  '--shell',
  '--safety',
  '-n',
  '--alternatives',
  '--config',
  '--command',
  '--max-tokens',
  '--runs',
  // cmdai serve (the client starts the resident server with these)
  '--port',
  '--host',
  '--keep-alive',
  '--label',
  '--context-size',
  '--threads',
]);

export interface Route {
  /** The subcommand to run; undefined means the default command (generate). */
  subcommand?: Subcommand;
  /** Set when words starting with a subcommand name are taken as a request: why, for a note on stderr. */
  requestNote?: string;
  /** The words from the subcommand's name on, as the request they would make (for a hint). */
  words?: string;
}

interface Words {
  /** Index of the first word (not an option or an option's value) in args. */
  first: number;
  /** Words after the first one, up to `--`. */
  rest: string[];
  /** Whether `--` comes after the first word. */
  dashes: boolean;
}

function splitWords(args: readonly string[]): Words | undefined {
  let first = -1;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      // `cmdai -- check disk usage`: everything after is the request.
      if (first < 0) return undefined;
      return { first, rest, dashes: true };
    }
    if (arg.startsWith('-') && arg !== '-') {
      if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    if (first < 0) first = i;
    else rest.push(arg);
  }
  return first < 0 ? undefined : { first, rest, dashes: false };
}

/**
 * The subcommand-versus-request rule (specs/cli.md): the first word names a subcommand when it
 * is a subcommand's name and the words after it fit that subcommand's arguments; otherwise all
 * the words are a request, and the caller says so on stderr.
 */
export function routeArguments(args: readonly string[], isCommandWord: (word: string) => boolean = commandExists): Route {
  const words = splitWords(args);
  if (!words) return {};
  const subcommand = SUBCOMMANDS.find((entry) => entry.name === args[words.first]);
  if (!subcommand) return {};
  // Asking for help about a subcommand is always about the subcommand.
  if (args.includes('--help') || args.includes('-h')) return { subcommand };
  const misfit = whyNotArguments(subcommand, words, isCommandWord);
  if (misfit === undefined) return { subcommand, words: [subcommand.name, ...words.rest].join(' ') };
  return { requestNote: `taking the words as a request: \`cmdai ${subcommand.name}\` ${misfit}. Quote the whole request to skip this note.` };
}

function whyNotArguments(subcommand: Subcommand, words: Words, isCommandWord: (word: string) => boolean): string | undefined {
  const { takes } = subcommand;
  const [next] = words.rest;
  switch (takes.kind) {
    case 'none':
      return next === undefined && !words.dashes ? undefined : 'takes no words';
    case 'choice':
      // One word alone (`init tcsh`) is a wrong argument rather than a request: the subcommand says what it takes.
      if (next === undefined || takes.choices.includes(next) || (words.rest.length === 1 && !words.dashes)) return undefined;
      return `takes ${takes.what}, not "${next}"`;
    case 'command':
      // One argument is a quoted command; after `--` the words are the command, whatever they are.
      if (words.dashes || words.rest.length <= 1) return undefined;
      return isCommandWord(next) ? undefined : `takes a command, and "${next}" is not a command on this machine`;
  }
}

const SHELL_WORDS = new Set(
  (
    '! [[ { ( . : [ alias bg bind break builtin case cd command compgen complete continue declare dirs disown echo enable eval exec ' +
    'exit export false fc fg for function getopts hash history if jobs kill let local logout popd printf pushd pwd read readonly ' +
    'return select set shift shopt source suspend test time times trap true type typeset ulimit umask unalias unset until wait while'
  ).split(' '),
);

/** A word that can start a shell command here: a path, an assignment, a shell builtin or keyword, or a program on PATH. */
export function commandExists(word: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (word.includes('/') || word.includes('\\') || SHELL_WORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) return true;
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      try {
        fs.accessSync(path.join(dir, word + extension), fs.constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
  }
  return false;
}
