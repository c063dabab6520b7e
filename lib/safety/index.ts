// assessCommand: how risky is this shell command, and what does the policy do with it?
// Synchronous and pure. The shell parser (a native tree-sitter binding) loads on first use.
import type { Assessment, AssessOptions, RiskLevel, RiskReason, SafetyDecision, SafetyPolicy } from './types';
import type { Effect } from './types';
import type { ShellDialect } from './command';
import { LEVELS, maxLevel } from './levels';
import { CmdaiError } from '../errors';

export type { Assessment, AssessOptions, RiskLevel, RiskReason, SafetyDecision, SafetyPolicy, SafetyRules, Span } from './types';
export type { Effect, EffectKind, EffectOp, EffectScope, EffectTarget } from './types';

/** Longest command assessed, in UTF-8 bytes; longer input is rated high without parsing. */
export const MAX_COMMAND_BYTES = 64 * 1024;

export const SAFETY_POLICIES: readonly SafetyPolicy[] = ['strict', 'moderate', 'permissive'];
export const RISK_LEVELS = LEVELS;

const POSIX_SHELL_NAMES = new Set(['bash', 'zsh', 'sh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'busybox']);

/** What a policy does with a level. strict: blocks high+, confirms moderate. moderate: blocks critical,
 *  confirms high. permissive: confirms critical, blocks nothing. */
export function decide(level: RiskLevel, policy: SafetyPolicy): SafetyDecision {
  switch (policy) {
    case 'strict':
      return level === 'high' || level === 'critical' ? 'blocked' : level === 'moderate' ? 'needsConfirmation' : 'allowed';
    case 'moderate':
      return level === 'critical' ? 'blocked' : level === 'high' ? 'needsConfirmation' : 'allowed';
    case 'permissive':
      return level === 'critical' ? 'needsConfirmation' : 'allowed';
  }
}

/**
 * Loads what assessing a command in `shell` needs (rule tables, the shell parser) ahead of time,
 * e.g. while a model is still writing the command. Never throws: a failure shows up, and is
 * reported, when the command itself is assessed.
 */
export function warmUpAssessor(shell?: string): void {
  try {
    assessCommand('true', { shell });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here on purpose, ahead of use
    (require('./rules') as typeof import('./rules')).loadAllJudges();
  } catch {
    // assessCommand reports its own failures when it is called for real.
  }
}

export function assessCommand(command: string, options: AssessOptions = {}): Assessment {
  const policy = options.policy ?? 'moderate';
  if (!SAFETY_POLICIES.includes(policy)) {
    throw new CmdaiError('USAGE', `Unknown safety policy "${String(policy)}".`, { hint: 'Use one of: strict, moderate, permissive.' });
  }
  const dialect = dialectFor(options.shell);
  const inputProblem = checkInput(command);
  if (inputProblem) return finish([inputProblem], [], policy, false);

  // Loaded lazily: importing `cmdai` must not load the parser or the rule tables.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CommandAnalysis } = require('./analysis') as typeof import('./analysis');
  const context = runContext(options, dialect);
  const analysis = new CommandAnalysis(options.rules, context);
  try {
    analysis.analyseText(command, dialect);
  } catch (err) {
    // A bug in a judge must not make a command look safe.
    analysis.report('internal.error', 'high', `The safety check failed on this command (${err instanceof Error ? err.message : String(err)}); read it yourself before running it.`, { start: 0, end: command.length });
  }
  // (zsh's short loops are read after a rewrite that lengthens the text; spans stay inside the command.)
  const clamp = (s: { start: number; end: number }): void => {
    s.end = Math.min(s.end, command.length);
    s.start = Math.min(s.start, s.end);
  };
  for (const r of analysis.reasons) clamp(r.span);
  for (const e of analysis.effects) clamp(e.span);
  return finish(analysis.reasons, analysis.effects, policy, analysis.deniedByUser);
}

/** The caller's working directory and home, checked: only absolute paths are used (a pure function
 *  cannot look them up itself). */
function runContext(options: AssessOptions, dialect: ShellDialect): { cwd?: string; home?: string } {
  const absolute = (p: unknown): p is string => typeof p === 'string' && !p.includes('\0') && (dialect !== 'pwsh' && dialect !== 'cmd' ? p.startsWith('/') : /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith('/'));
  return { ...(absolute(options.cwd) ? { cwd: options.cwd } : {}), ...(absolute(options.home) ? { home: options.home } : {}) };
}

function dialectFor(shell: string | undefined): ShellDialect {
  if (shell === undefined) return 'posix';
  const base = shell.trim().replace(/\\/g, '/').split('/').pop()!.toLowerCase().replace(/\.exe$/, '');
  if (base === 'pwsh' || base === 'powershell') return 'pwsh';
  if (base === 'cmd') return 'cmd';
  if (base === 'fish') return 'fish';
  if (base === 'zsh') return 'zsh';
  if (POSIX_SHELL_NAMES.has(base)) return 'posix';
  throw new CmdaiError('USAGE', `Unknown shell "${shell}".`, { hint: 'Use one of: bash, zsh, sh, dash, ksh, fish, pwsh, powershell, cmd.' });
}

function checkInput(command: unknown): RiskReason | undefined {
  const everything = { start: 0, end: typeof command === 'string' ? command.length : 0 };
  if (typeof command !== 'string') {
    return { rule: 'input.not-text', level: 'high', message: 'The command is not text, so it could not be inspected.', span: everything };
  }
  if (command.includes('\0')) {
    const at = command.indexOf('\0');
    return { rule: 'input.nul-byte', level: 'high', message: 'The command contains a NUL byte; shells cut the command there, so what runs differs from what is shown.', span: { start: at, end: at + 1 } };
  }
  const bad = invalidTextAt(command);
  if (bad >= 0) {
    return { rule: 'input.invalid-utf8', level: 'high', message: 'The command contains bytes that are not valid UTF-8 text, so it could not be inspected reliably.', span: { start: bad, end: bad + 1 } };
  }
  if (Buffer.byteLength(command, 'utf8') > MAX_COMMAND_BYTES) {
    return { rule: 'input.too-long', level: 'high', message: `The command is longer than ${MAX_COMMAND_BYTES / 1024} KiB and was not inspected; split it up or read it yourself.`, span: everything };
  }
  return undefined;
}

/** Index of a lone surrogate or a U+FFFD replacement character (what invalid UTF-8 decodes to). */
function invalidTextAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

function finish(reasons: RiskReason[], effects: Effect[], policy: SafetyPolicy, deniedByUser: boolean): Assessment {
  let level: RiskLevel = 'safe';
  for (const r of reasons) level = maxLevel(level, r.level);
  const sorted = [...reasons].sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || a.span.start - b.span.start);
  return { level, reasons: sorted, decision: deniedByUser ? 'blocked' : decide(level, policy), policy, effects };
}
