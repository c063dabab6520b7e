// previewImpact: what a command would delete, overwrite, move, truncate, edit or re-permission on
// this machine, counted without running it. Paths come from the assessor's effects (resolved
// through cd and ~) and, for commands whose targets depend on their own logic, from a side-effect
// free stand-in: find with its action replaced by printing, `git clean -n`, `git diff` for the
// changes a hard reset or checkout would lose. Everything runs within a time budget; counts cut
// short by it (or by unreadable directories) are a lower bound.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDynamic } from '../safety/markers';
import { unescapeGlob } from './glob';
import { ImpactCounter, type LargestFile } from './walk';
import { splitPlainCommands, type PlainCommand } from './words';
import { previewFind, previewGit } from './programs';
import { absolute, addPattern, type PreviewRun } from './run';

import type { ImpactOperation } from './run';

export type { ImpactOperation } from './run';

export interface ImpactPreview {
  /** Files (and links) that would be touched. */
  files: number;
  directories: number;
  /** Total size of those files. */
  bytes: number;
  /** The largest files, biggest first. */
  largest: LargestFile[];
  /** False when the walk was cut short: the counts are "at least". */
  complete: boolean;
  /** What the command would do to them. */
  operations: ImpactOperation[];
  /** Why the preview is incomplete, or parts that could not be previewed. */
  notes: string[];
  elapsedMs: number;
}

export interface PreviewOptions {
  /** Where the command would run (default: the current directory). */
  cwd?: string;
  /** The shell that would run it (default bash); decides glob rules (`**` in zsh and fish). */
  shell?: string;
  /** Time budget in milliseconds (default 300). */
  timeoutMs?: number;
  /** The user's home directory (default: os.homedir()). */
  home?: string;
}

export const DEFAULT_PREVIEW_BUDGET_MS = 300;

const EFFECT_OPS: Record<string, ImpactOperation> = {
  delete: 'delete',
  overwrite: 'overwrite',
  move: 'move',
  truncate: 'truncate',
  edit: 'edit',
  chmod: 'chmod',
  chown: 'chown',
};

/** What the command would touch; undefined when it touches no local files this preview can count. */
export async function previewImpact(command: string, options: PreviewOptions = {}): Promise<ImpactPreview | undefined> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PREVIEW_BUDGET_MS;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const home = options.home ?? os.homedir();
  const shell = (options.shell ?? 'bash').toLowerCase();
  const counter = new ImpactCounter(started + timeoutMs);
  const run: PreviewRun = {
    counter,
    operations: new Set(),
    notes: [],
    deadline: started + timeoutMs,
    shell,
    home,
    globstar: shell === 'zsh' || shell === 'fish',
    outOfTime: () => counter.outOfTime(),
  };

  await fromEffects(command, cwd, run);
  if (!['pwsh', 'powershell', 'cmd'].includes(shell)) {
    const commands = splitPlainCommands(command, home);
    if (commands) await fromCommands(commands, cwd, run);
  }

  if (run.operations.size === 0) return undefined;
  return {
    files: counter.files,
    directories: counter.directories,
    bytes: counter.bytes,
    largest: counter.largest,
    complete: !counter.incomplete,
    operations: [...run.operations],
    notes: [...counter.notes, ...run.notes],
    elapsedMs: Date.now() - started,
  };
}

/** Paths the assessor resolved (rm, and whatever else its effects model covers). */
async function fromEffects(command: string, cwd: string, run: PreviewRun): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: the assessor loads with the first preview
  const { assessCommand } = require('../safety') as typeof import('../safety');
  let effects;
  try {
    effects = assessCommand(command, { shell: run.shell, cwd, home: run.home }).effects ?? [];
  } catch {
    return; // an unknown shell name: the command-level previews may still apply
  }
  for (const effect of effects) {
    const op = effect.op ? EFFECT_OPS[effect.op] : effect.kind === 'delete' ? 'delete' : undefined;
    const target = effect.target;
    if (!op || !target || target.type !== 'path' || !['delete', 'write', 'permission'].includes(effect.kind)) continue;
    if (isDynamic(target.value) || !path.isAbsolute(target.value) || target.value.includes('{found}')) continue;
    run.operations.add(op);
    const recursive = effect.scope === 'recursive' || effect.scope === 'all' || op === 'move';
    // Effects carry plain paths that may hold glob characters; one that exists as written is taken as is.
    if (fs.existsSync(target.value)) await run.counter.add(target.value, recursive);
    else await addPattern(target.value.replace(/\\/g, '\\\\'), recursive, run);
  }
}

const WRAPPERS: Record<string, RegExp> = {
  sudo: /^-[ugCDhpTrt]$/, // options that take a value
  doas: /^-[uC]$/,
  nice: /^-n$/,
  nohup: /^$/,
  time: /^$/,
  command: /^$/,
  env: /^-[uSC]$/,
};

/** Drops sudo, env and the like, with their options; the wrapped command is what touches files. */
function unwrap(words: string[]): string[] {
  let rest = words;
  for (let guard = 0; guard < 4 && rest.length > 0; guard++) {
    const name = path.basename(unescapeGlob(rest[0]));
    const takesValue = WRAPPERS[name];
    if (!takesValue) return rest;
    let i = 1;
    while (i < rest.length && (rest[i].startsWith('-') || (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i])))) {
      if (rest[i] === '--') {
        i++;
        break;
      }
      i += takesValue.test(rest[i]) ? 2 : 1;
    }
    rest = rest.slice(i);
  }
  return rest;
}

async function fromCommands(commands: PlainCommand[], startCwd: string, run: PreviewRun): Promise<void> {
  let cwd = startCwd;
  for (const command of commands) {
    if (run.outOfTime()) return;
    for (const redirect of command.redirects) {
      if (['>', '>|', '&>'].includes(redirect.op)) {
        run.operations.add('overwrite');
        await addPattern(absolute(redirect.target, cwd), false, run);
      }
    }
    const words = unwrap(command.words);
    if (words.length === 0) continue;
    const name = path.basename(unescapeGlob(words[0]));
    const args = words.slice(1);
    const plainArgs = args.map(unescapeGlob);
    if (name === 'cd' || name === 'pushd') {
      const target = plainArgs.find((a) => !a.startsWith('-'));
      cwd = target === undefined ? run.home : path.resolve(cwd, target);
      continue;
    }
    switch (name) {
      case 'rm':
      case 'rmdir':
      case 'unlink': {
        const flags = shortFlags(plainArgs);
        const recursive = name === 'rm' && (flags.has('r') || flags.has('R') || plainArgs.includes('--recursive'));
        run.operations.add('delete');
        for (const target of positionals(args, new Set())) await addPattern(absolute(target, cwd), recursive, run);
        break;
      }
      case 'chmod':
      case 'chown':
      case 'chgrp': {
        const recursive = shortFlags(plainArgs).has('R') || plainArgs.includes('--recursive');
        const targets = positionals(args, new Set());
        const hasReference = plainArgs.some((a) => a.startsWith('--reference'));
        run.operations.add(name === 'chmod' ? 'chmod' : 'chown');
        for (const target of hasReference ? targets : targets.slice(1)) await addPattern(absolute(target, cwd), recursive, run);
        break;
      }
      case 'truncate': {
        run.operations.add('truncate');
        for (const target of positionals(args, new Set(['-s', '-r', '--size', '--reference']))) await addPattern(absolute(target, cwd), false, run);
        break;
      }
      case 'mv': {
        const targetDirectory = plainArgs.some((a) => a === '-t' || a.startsWith('--target-directory'));
        const operands = positionals(args, new Set(['-t', '--target-directory', '-S', '--suffix']));
        run.operations.add('move');
        for (const source of targetDirectory ? operands : operands.slice(0, -1)) await addPattern(absolute(source, cwd), true, run);
        break;
      }
      case 'sed':
      case 'gsed':
        await previewSedInPlace(args, cwd, run);
        break;
      case 'find':
        await previewFind(args, cwd, run);
        break;
      case 'git':
        await previewGit(args, cwd, run);
        break;
    }
  }
}

async function previewSedInPlace(args: string[], cwd: string, run: PreviewRun): Promise<void> {
  const plain = args.map(unescapeGlob);
  // BSD sed (macOS) takes the backup suffix as the next word: `sed -i '' ...`.
  const bsd = process.platform === 'darwin' || process.platform.endsWith('bsd');
  let inPlace = false;
  let scriptGiven = false;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = plain[i];
    if (word === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (word === '-i' && bsd) {
      inPlace = true;
      i++;
    } else if (/^-i/.test(word) || /^--in-place(=|$)/.test(word) || (/^-[a-zA-Z]+$/.test(word) && word.includes('i') && !/^-[ef]/.test(word))) {
      inPlace = true;
    } else if (word === '-e' || word === '-f' || word === '--expression' || word === '--file') {
      scriptGiven = true;
      i++;
    } else if (/^--(expression|file)=/.test(word) || /^-[ef]./.test(word)) {
      scriptGiven = true;
    } else if (word === '-l' || word === '--line-length') {
      i++;
    } else if (word.startsWith('-') && word !== '-') {
      continue;
    } else {
      operands.push(args[i]);
    }
  }
  if (!inPlace) return;
  run.operations.add('edit');
  for (const file of scriptGiven ? operands : operands.slice(1)) await addPattern(absolute(file, cwd), false, run);
}

/** Short option letters present (`-rf`, `-r -f`), up to `--`. */
function shortFlags(args: string[]): Set<string> {
  const flags = new Set<string>();
  for (const arg of args) {
    if (arg === '--') break;
    if (/^-[A-Za-z]+$/.test(arg)) for (const c of arg.slice(1)) flags.add(c);
  }
  return flags;
}

/** Operands: words that are not options (after `--` everything is), skipping the values of `withValue`. */
function positionals(args: string[], withValue: Set<string>): string[] {
  const out: string[] = [];
  let optionsDone = false;
  for (let i = 0; i < args.length; i++) {
    const plain = unescapeGlob(args[i]);
    if (!optionsDone && plain === '--') {
      optionsDone = true;
    } else if (!optionsDone && plain.startsWith('-') && plain !== '-') {
      if (withValue.has(plain)) i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** One line a person can read: "would delete at least 10,000 files in 312 directories (1.2 GB)". */
export function describeImpact(preview: ImpactPreview): string {
  const verbs: Record<ImpactOperation, string> = {
    delete: 'delete',
    overwrite: 'overwrite',
    move: 'move',
    truncate: 'truncate',
    edit: 'edit',
    chmod: 'change permissions of',
    chown: 'change the owner of',
    'discard-changes': 'discard changes to',
  };
  const verb = preview.operations.map((op) => verbs[op]).join(' / ');
  const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  const atLeast = preview.complete ? '' : 'at least ';
  const dirs = preview.directories > 0 ? ` in ${count(preview.directories, 'directory', 'directories')}` : '';
  return `would ${verb} ${atLeast}${count(preview.files, 'file', 'files')}${dirs} (${atLeast}${formatBytes(preview.bytes)})`;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
