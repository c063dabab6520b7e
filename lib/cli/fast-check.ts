// `cmdai check` without yargs: loading yargs costs about as much as starting node, and check is
// meant to be cheap enough for shell hooks. Only plain invocations take this path
// (`check [--json] [--shell S] [--safety P] [--config F] [--verbose] [--] words...`); anything
// else (help, bad values, the command's own dash-words) goes through the full parser, which has
// the same behaviour and better messages.
import { SAFETY_POLICIES, SHELL_NAMES } from '../config/keys';

const VALUE_OPTIONS: Record<string, readonly string[] | null> = { '--shell': SHELL_NAMES, '--safety': SAFETY_POLICIES, '--config': null };
const FLAG_OPTIONS = new Set(['--json', '--verbose']);

interface PlainCheck {
  words: string[];
  json: boolean;
  shell?: string;
  safety?: string;
  config?: string;
}

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
  return parsed.words.join(' ').trim() === '' ? undefined : parsed;
}

/** Runs a plain `check` and resolves to its exit code. */
export async function runPlainCheck(check: PlainCheck): Promise<number> {
  const { configFromArgs } = require('./options') as typeof import('./options');
  const { assessCommand } = require('../safety') as typeof import('../safety');
  const { formatAssessment, exitCodeForDecision, impactOf, impactText } = require('./commands/check') as typeof import('./commands/check');
  const command = check.words.join(' ');
  const config = configFromArgs({ config: check.config, shell: check.shell, safety: check.safety });
  const shell = check.shell ?? config.shell ?? (process.platform === 'win32' ? 'pwsh' : 'bash');
  const assessment = assessCommand(command, {
    shell,
    policy: config.safety.policy,
    rules: { allow: config.safety.allow, deny: config.safety.deny },
    ...(require('../safety/where') as typeof import('../safety/where')).currentRunContext(),
  });
  const impact = await impactOf(command, shell);
  if (check.json) process.stdout.write(JSON.stringify({ command, shell, ...assessment, impact: impact ?? null }, null, 2) + '\n');
  else process.stdout.write(formatAssessment(command, assessment, process.stdout) + impactText(impact));
  return exitCodeForDecision(assessment.decision);
}
