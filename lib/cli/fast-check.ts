// `cmdai check` without yargs: loading yargs costs about as much as starting node, and check is
// meant to be cheap enough for shell hooks. Only plain invocations take this path
// (`check [--json] [--shell S] [--safety P] [--config F] [--verbose] [--] words...`); anything
// else (help, bad values, the command's own dash-words) goes through the full parser, which has
// the same behaviour and better messages.
import { SAFETY_POLICIES, SHELL_NAMES } from '../config/keys';
import { runCheck, type CheckRequest } from './commands/check';

const VALUE_OPTIONS: Record<string, readonly string[] | null> = { '--shell': SHELL_NAMES, '--safety': SAFETY_POLICIES, '--config': null };
const FLAG_OPTIONS = new Set(['--json', '--verbose']);

type PlainCheck = CheckRequest;

/** Parses `check ...` arguments when they are plain; undefined means "let yargs handle it". */
export function parsePlainCheck(args: string[]): PlainCheck | undefined {
  if (args[0] !== 'check') return undefined;
  const parsed: PlainCheck = { words: [], json: false };
  for (let i = 1; i < args.length; i++) {
    let arg = args[i];
    if (arg === '--') {
      parsed.words.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-')) {
      parsed.words.push(arg);
      continue;
    }
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (FLAG_OPTIONS.has(arg) && value === undefined) {
      if (arg === '--json') parsed.json = true;
      continue;
    }
    if (!(arg in VALUE_OPTIONS)) return undefined;
    value ??= args[++i];
    const allowed = VALUE_OPTIONS[arg];
    if (value === undefined || (allowed && !allowed.includes(value))) return undefined;
    parsed[arg.slice(2) as 'shell' | 'safety' | 'config'] = value;
  }
  return parsed;
}

/** Runs a plain `check` (the command from the words, else stdin) and resolves to its exit code. */
export function runPlainCheck(check: PlainCheck): Promise<number> {
  return runCheck(check);
}
