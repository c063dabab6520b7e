// `cmdai check <command..>`: rate a command's risk with the safety assessor alone (no model).
// Loads only yargs, the config reader and lib/safety, so it starts nearly as fast as node itself.
// Exit codes (specs/cli.md): 0 allowed, 6 needs confirmation, 3 blocked, 2 usage error.
import type { Argv, CommandModule } from 'yargs';
import { SAFETY_POLICIES, SHELL_NAMES } from '../../config/keys';
import { configFromArgs, GlobalArgs } from '../options';
import { EXIT } from '../exit-codes';
import { assessCommand } from '../../safety';
import { currentRunContext } from '../../safety/where';
import type { Assessment, SafetyDecision } from '../../safety';
import { paint, wrapText, wrapWidth } from '../terminal';

export function exitCodeForDecision(decision: SafetyDecision): number {
  switch (decision) {
    case 'allowed':
      return EXIT.OK;
    case 'needsConfirmation':
      return EXIT.NEEDS_CONFIRMATION;
    case 'blocked':
      return EXIT.BLOCKED;
  }
}

interface CheckArgs extends GlobalArgs {
  command?: (string | number)[];
  json?: boolean;
  shell?: string;
  safety?: string;
}

const checkCommandModule: CommandModule<object, CheckArgs> = {
  command: 'check [command..]',
  describe: "Rate a command's risk (no model needed)",
  builder: (yargs) =>
    yargs
      // `cmdai check rm -rf build` (unquoted): the command's own flags are part of the command.
      .parserConfiguration({ 'unknown-options-as-args': true })
      .positional('command', { type: 'string', array: true, describe: 'the command to check; quote it, put it after --, or pipe it on stdin' })
      .option('json', { type: 'boolean', describe: 'print the assessment as JSON' })
      .option('shell', { type: 'string', choices: SHELL_NAMES as unknown as string[], describe: 'shell that would run it (default: configured shell, else bash; pwsh on Windows)' })
      .option('safety', { type: 'string', choices: SAFETY_POLICIES as unknown as string[], describe: 'safety policy (default: configured, else moderate)' })
      .epilogue('Exit codes: 0 allowed, 6 needs confirmation, 3 blocked, 2 usage error.') as unknown as Argv<CheckArgs>,
  handler: async (argv) => {
    // Words after `--` land in argv._ (after the subcommand name itself).
    const afterDashes = (argv as { _?: (string | number)[] })._?.slice(1) ?? [];
    process.exitCode = await runCheck({ words: [...(argv.command ?? []), ...afterDashes].map(String), json: Boolean(argv.json), shell: argv.shell, safety: argv.safety, config: argv.config });
  },
};

export interface CheckRequest {
  words: string[];
  json: boolean;
  shell?: string;
  safety?: string;
  config?: string;
}

/** Rates the command (the words, else stdin), prints the verdict and resolves to the exit code. */
export async function runCheck(check: CheckRequest): Promise<number> {
  const words = check.words.join(' ');
  // Reading stdin (and the request module) only when the command is not in the words: start-up time for shell hooks.
  const command = words.trim() !== '' ? words : await (require('../request') as typeof import('../request')).readCommandToCheck([]);
  const config = configFromArgs({ config: check.config, shell: check.shell, safety: check.safety });
  const shell = check.shell ?? config.shell ?? (process.platform === 'win32' ? 'pwsh' : 'bash');
  const assessment = assessCommand(command, {
    shell,
    policy: config.safety.policy,
    rules: { allow: config.safety.allow, deny: config.safety.deny },
    ...currentRunContext(),
  });
  const impact = await impactOf(command, shell);
  if (check.json) process.stdout.write(JSON.stringify({ command, shell, ...assessment, impact: impact ?? null }, null, 2) + '\n');
  else process.stdout.write(formatAssessment(command, assessment, process.stdout) + impactText(impact));
  return exitCodeForDecision(assessment.decision);
}

const DECISION_WORDS: Record<SafetyDecision, string> = {
  allowed: 'allowed',
  needsConfirmation: 'needs confirmation',
  blocked: 'blocked',
};

/**
 * The verdict, then each reason (wrapped at word boundaries to the terminal's width, with a
 * hanging indent) with the part of the command it is about underlined, when the command fits.
 */
export function formatAssessment(command: string, assessment: Assessment, stream: NodeJS.WriteStream): string {
  const p = paint(stream);
  const width = wrapWidth(stream);
  const colour = assessment.level === 'critical' ? p.red : assessment.level === 'high' ? p.yellow : assessment.level === 'moderate' ? p.cyan : p.green;
  const lines = [wrapText(`${colour(p.bold(assessment.level))}: ${DECISION_WORDS[assessment.decision]} under the ${assessment.policy} policy`, width, '', '  ')];
  const indent = ' '.repeat(11);
  const underline = !command.includes('\n') && command.length <= 200 && (width === undefined || indent.length + command.length < width);
  for (const reason of assessment.reasons) {
    lines.push(wrapText(`${reason.message} ${p.dim(`[${reason.rule}]`)}`, width, `  ${reason.level.padEnd(8)} `, indent));
    if (underline && reason.span.end > reason.span.start) {
      lines.push(`${indent}${command}`);
      lines.push(`${indent}${' '.repeat(reason.span.start)}${'^'.repeat(Math.max(1, reason.span.end - reason.span.start))}`);
    }
  }
  if (assessment.reasons.length === 0) lines.push('  nothing risky found');
  return lines.join('\n') + '\n';
}

/** What the command would touch here; the preview module loads only for commands that can touch files. */
export async function impactOf(command: string, shell: string): Promise<import('../../impact').ImpactPreview | undefined> {
  const { mightTouchFiles } = require('../../impact/might-touch') as typeof import('../../impact/might-touch');
  if (!mightTouchFiles(command)) return undefined;
  const { previewImpact } = require('../../impact') as typeof import('../../impact');
  return previewImpact(command, { shell, cwd: process.cwd() });
}

/** The impact preview as a line under the verdict, when the command touches local files. */
export function impactText(impact: import('../../impact').ImpactPreview | undefined): string {
  if (!impact) return '';
  const { impactLine } = require('../../impact/display') as typeof import('../../impact/display');
  return wrapText(impactLine(impact, process.cwd()), wrapWidth(process.stdout), '  ', '    ') + '\n';
}

export default checkCommandModule;
