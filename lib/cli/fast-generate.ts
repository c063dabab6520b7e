// `cmdai <request..>` without yargs, for plain invocations: a shell key binding runs
// `cmdai --print "..."` many times a day, and building and running the yargs parser costs it
// ~40-50 ms before the request can even start (about half of what cmdai's own modules cost).
// Only what is certain takes this path: known flags of the generate command, each once, with a
// plain value. Anything else (help, version, a subcommand, `--no-x`, repeated or unknown flags,
// values yargs would read differently or reject) returns undefined and goes through yargs, which
// has the same behaviour and the better messages. test/cli/fast-generate.test.ts holds both
// parsers to the same result.
import { BACKEND_NAMES, SAFETY_POLICIES, SHELL_NAMES } from '../config/keys';
import type { GenerateArgs } from './commands/generate';

type Kind = 'flag' | 'string' | 'whole number' | readonly string[];

/** The generate command's options (lib/cli/options.ts withModelOptions, commands/generate.ts generateBuilder, main.ts globals). */
const OPTIONS: Record<string, { key: keyof GenerateArgs; kind: Kind }> = {
  '--json': { key: 'json', kind: 'flag' },
  '--print': { key: 'print', kind: 'flag' },
  '--dry-run': { key: 'dryRun', kind: 'flag' },
  '--trust-context': { key: 'trustContext', kind: 'flag' },
  '--verbose': { key: 'verbose', kind: 'flag' },
  '--yes': { key: 'yes', kind: 'flag' },
  '-y': { key: 'yes', kind: 'flag' },
  '--model': { key: 'model', kind: 'string' },
  '--endpoint': { key: 'endpoint', kind: 'string' },
  '--api-key': { key: 'apiKey', kind: 'string' },
  '--config': { key: 'config', kind: 'string' },
  '--command': { key: 'command', kind: 'string' },
  '--timeout': { key: 'timeout', kind: 'whole number' },
  '--retries': { key: 'retries', kind: 'whole number' },
  '--max-tokens': { key: 'maxTokens', kind: 'whole number' },
  '--alternatives': { key: 'alternatives', kind: 'whole number' },
  '-n': { key: 'alternatives', kind: 'whole number' },
  '--backend': { key: 'backend', kind: BACKEND_NAMES },
  '--shell': { key: 'shell', kind: SHELL_NAMES },
  '--safety': { key: 'safety', kind: SAFETY_POLICIES },
};

/** A value taken as it is: not empty, not something yargs would read as a flag, nothing it would turn into a number or array. */
function plainValue(kind: Exclude<Kind, 'flag'>, value: string): string | number | undefined {
  if (value === '' || value.startsWith('-')) return undefined;
  if (kind === 'whole number') return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
  if (Array.isArray(kind)) return kind.includes(value) ? value : undefined;
  return value;
}

/**
 * The generate command's arguments when they are plain (the request's words, and known flags
 * given once with plain values); undefined means "let yargs parse them". Words after `--` go to
 * `_`, as yargs puts them.
 */
export function parsePlainGenerate(args: readonly string[]): GenerateArgs | undefined {
  const request: string[] = [];
  const rest: string[] = [];
  const parsed: Record<string, unknown> = { request, _: rest };
  const seen = new Set<keyof GenerateArgs>();
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    if (arg === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-')) {
      request.push(arg);
      continue;
    }
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0 && arg.startsWith('--')) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const option = Object.prototype.hasOwnProperty.call(OPTIONS, arg) ? OPTIONS[arg] : undefined;
    if (!option || seen.has(option.key)) return undefined;
    seen.add(option.key);
    if (option.kind === 'flag') {
      if (inline !== undefined) return undefined;
      parsed[option.key] = true;
      continue;
    }
    const raw = inline ?? args[++i];
    if (raw === undefined) return undefined;
    const value = plainValue(option.kind, raw);
    if (value === undefined) return undefined;
    parsed[option.key] = value;
  }
  return parsed as GenerateArgs;
}
