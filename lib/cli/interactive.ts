// The interactive screen: the command, its explanation and risk, and a one-key menu.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CommandResult, GenerateCommandOptions, RiskAssessment } from '../generate';
import type { InferenceBackend } from '../backends/types';
import { CmdaiError } from '../errors';
import { assistantTurn } from '../prompt/system';
import { EXIT } from './exit-codes';
import { copyToClipboard } from './clipboard';
import { runInShell } from './run';
import { paint, readKey, readLine, startSpinner } from './terminal';

export interface MenuSession {
  result: CommandResult;
  dryRun: boolean;
  /** The backend for revise and explain, created on first need. */
  backend: () => InferenceBackend;
  /** Options for further generations (config, environment, safety). */
  generateOptions: GenerateCommandOptions;
  /** Re-assesses an edited command. */
  assess: (command: string) => RiskAssessment;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** A keypress already being waited for (the menu was shown while the explanation streamed). */
  firstKey?: PendingKey;
}

const RISK_COLOURS = { safe: 'green', moderate: 'cyan', high: 'yellow', critical: 'red' } as const;

export function renderResult(result: Pick<CommandResult, 'command' | 'explanation' | 'risk'>, out: NodeJS.WriteStream, showCommand = true): void {
  const p = paint(out);
  if (showCommand) out.write(`\n${result.command.split('\n').map((line) => `  ${p.bold(line)}`).join('\n')}\n`);
  if (result.explanation) out.write(`\n  ${p.dim(result.explanation)}\n`);
  out.write(`\n  ${renderRisk(result.risk, out)}\n`);
  for (const reason of result.risk.reasons) out.write(`    - ${reason.message}\n`);
  if (result.risk.decision === 'blocked') out.write(`  ${p.red('Blocked by the safety policy: this command will not be run.')}\n`);
  else if (result.risk.decision === 'needsConfirmation') out.write(`  ${p.yellow('Running it needs your explicit confirmation.')}\n`);
}

function renderRisk(risk: RiskAssessment, out: NodeJS.WriteStream): string {
  const p = paint(out);
  const colour = p[RISK_COLOURS[risk.level]];
  return colour(`[${risk.level.toUpperCase()}]`) + (risk.reasons.length === 0 ? ' no risky operation found' : ' risk');
}

function menuLine(result: CommandResult, out: NodeJS.WriteStream): string {
  const p = paint(out);
  const run = result.risk.decision === 'blocked' ? p.dim('(run blocked)') : `${p.bold('[enter]')} run`;
  const count = result.alternatives.length;
  const pick = count === 0 ? '' : `${p.bold(count === 1 ? '[1]' : `[1-${count}]`)} alternative  `;
  return `\n  ${run}  ${p.bold('[e]')} edit  ${p.bold('[r]')} revise  ${p.bold('[x]')} explain  ${p.bold('[c]')} copy  ${pick}${p.bold('[q]')} cancel  `;
}

/** Shows the menu until the user runs or cancels; resolves to the process exit code. */
export async function interactiveMenu(session: MenuSession): Promise<number> {
  const input = session.input ?? process.stdin;
  const out = session.output ?? process.stdout;
  const p = paint(out);
  let result = session.result;

  let early = session.firstKey;
  for (;;) {
    const pressed = early ? await early.key : undefined;
    early = undefined;
    if (pressed === undefined) out.write(menuLine(result, out));
    const key = pressed ?? (await readKey(input));
    out.write('\n');
    switch (key) {
      case '\r':
      case '\n': {
        const outcome = await tryRun(result, session, input, out);
        if (outcome !== undefined) return outcome;
        break;
      }
      case 'e': {
        const edited = await editCommand(result.command, input, out);
        if (edited === undefined || edited.trim() === '') break;
        const command = edited.trim();
        result = replaceCommand(result, command, command === result.command ? result.explanation : '', session.assess(command));
        renderResult(result, out);
        break;
      }
      case 'r': {
        const refinement = await readLine(p.cyan('revise> '), '', input, out);
        if (!refinement?.trim()) break;
        const revised = await withSpinner(out, 'Revising', async () => {
          const { reviseCommand } = require('../generate') as typeof import('../generate');
          return reviseCommand(result, refinement, { ...session.generateOptions, backend: session.backend() });
        });
        if (revised) {
          result = revised;
          renderResult(result, out);
        }
        break;
      }
      case 'x': {
        const explained = await withSpinner(out, 'Explaining', async () => {
          const { explainCommand } = require('../generate') as typeof import('../generate');
          return explainCommand(result.command, { ...session.generateOptions, backend: session.backend() });
        });
        if (explained) out.write(`\n  ${explained.explanation.split('\n').join('\n  ')}\n`);
        break;
      }
      case 'c': {
        const used = copyToClipboard(result.command, out);
        out.write(used.length > 0 ? `  Copied (${used.join(', ')}).\n` : '  No clipboard available here.\n');
        break;
      }
      case 'q':
      case '\x1b':
      case '\x03':
      case '\x04':
        out.write('  Cancelled.\n');
        return EXIT.CANCELLED;
      default: {
        const index = Number(key) - 1;
        const chosen = Number.isInteger(index) && index >= 0 ? result.alternatives[index] : undefined;
        if (!chosen) break;
        // The chosen alternative becomes the command; the previous command takes its place in the list.
        const alternatives = [...result.alternatives];
        alternatives[index] = { command: result.command, explanation: result.explanation, risk: result.risk };
        result = { ...replaceCommand(result, chosen.command, chosen.explanation, chosen.risk), alternatives };
        renderResult(result, out);
        break;
      }
    }
  }
}

/** A keypress being waited for while output still streams; cancel() gives the terminal back. */
export interface PendingKey {
  /** The key, or undefined when cancelled. */
  key: Promise<string | undefined>;
  cancel(): void;
}

export function waitForKey(input: NodeJS.ReadStream): PendingKey {
  let settle: (key: string | undefined) => void = () => {};
  const key = new Promise<string | undefined>((resolve) => (settle = resolve));
  const wasRaw = input.isRaw;
  const onData = (data: Buffer) => finish(data.toString('utf8'));
  const finish = (value: string | undefined) => {
    input.off('data', onData);
    input.setRawMode?.(wasRaw ?? false);
    input.pause();
    settle(value);
  };
  input.setRawMode?.(true);
  input.resume();
  input.on('data', onData);
  return { key, cancel: () => finish(undefined) };
}

export interface CommandFirstDisplay {
  onCommandText(text: string): void;
  onCommand(command: string): void;
  onExplanationText(text: string): void;
  onRestart(): void;
  /** Fires when a key was pressed while the explanation streamed: the rest is not needed. */
  readonly endEarly: AbortSignal;
  /** The key pressed (or being waited for) once the menu showed; undefined before. */
  readonly pendingKey: PendingKey | undefined;
  /** Ends the streamed display; gives the terminal back when generation failed. */
  finish(failed: boolean): void;
}

/**
 * The command as the model writes it; its risk and the menu the moment its string closes, keys
 * accepted at once; the explanation streams in beneath. A key pressed early ends generation.
 */
export function commandFirstDisplay(options: {
  input: NodeJS.ReadStream;
  out: NodeJS.WriteStream;
  assess: (command: string) => RiskAssessment;
  /** Called before the first character is written (stops a spinner). */
  onFirstOutput: () => void;
}): CommandFirstDisplay {
  const { input, out } = options;
  const p = paint(out);
  const stop = new AbortController();
  let commandText = '';
  let explaining = false;
  let pending: PendingKey | undefined;
  const write = (text: string) => {
    if (commandText === '' && !pending) options.onFirstOutput();
    out.write(text);
  };
  return {
    endEarly: stop.signal,
    get pendingKey() {
      return pending;
    },
    onCommandText(text) {
      if (commandText === '') write('\n  ');
      commandText += text;
      write(p.bold(text.replace(/\n/g, '\n  ')));
    },
    onCommand(command) {
      if (commandText === '') write(`\n${command.split('\n').map((line) => `  ${p.bold(line)}`).join('\n')}`);
      commandText ||= command;
      const risk = options.assess(command);
      out.write('\n');
      renderResult({ command, explanation: '', risk }, out, false);
      out.write(menuLine({ risk, alternatives: [] } as unknown as CommandResult, out) + '\n');
      pending = waitForKey(input);
      void pending.key.then((key) => key !== undefined && stop.abort());
    },
    onExplanationText(text) {
      if (!pending) return;
      if (!explaining) out.write('\n  ');
      explaining = true;
      out.write(p.dim(text.replace(/\n/g, '\n  ')));
    },
    onRestart() {
      pending?.cancel();
      pending = undefined;
      explaining = false;
      if (commandText !== '') out.write(`\n  ${p.dim('(starting the answer again in this process)')}\n`);
      commandText = '';
    },
    finish(failed) {
      if (explaining) out.write('\n');
      if (failed) pending?.cancel();
    },
  };
}

/** The same result with another command; the conversation follows, so a revision starts from it. */
function replaceCommand(result: CommandResult, command: string, explanation: string, risk: RiskAssessment): CommandResult {
  const earlier = result.conversation.at(-1)?.role === 'assistant' ? result.conversation.slice(0, -1) : result.conversation;
  return { ...result, command, explanation, risk, conversation: [...earlier, assistantTurn(command, explanation)] };
}

async function tryRun(result: CommandResult, session: MenuSession, input: NodeJS.ReadStream, out: NodeJS.WriteStream): Promise<number | undefined> {
  const p = paint(out);
  if (result.risk.decision === 'blocked') {
    const reasons = result.risk.reasons.map((r) => r.message).join('; ') || `rated ${result.risk.level}`;
    out.write(`  ${p.red(`Blocked: ${reasons}.`)} Edit it, revise it, or use --safety permissive if you are sure.\n`);
    return undefined;
  }
  if (result.risk.decision === 'needsConfirmation') {
    const answer = await readLine(p.yellow(`  This command is rated ${result.risk.level}. Type yes to run it: `), '', input, out);
    if (!answer || !/^y(es)?$/i.test(answer.trim())) {
      out.write('  Not run.\n');
      return undefined;
    }
  }
  if (session.dryRun) {
    out.write(`  Dry run: not running ${JSON.stringify(result.command)}.\n`);
    return EXIT.OK;
  }
  out.write('\n');
  return runInShell(result.shell, result.command);
}

async function editCommand(command: string, input: NodeJS.ReadStream, out: NodeJS.WriteStream): Promise<string | undefined> {
  if (!command.includes('\n')) return readLine(paint(out).cyan('edit> '), command, input, out);
  // readline edits one line; a multi-line command goes to the user's editor.
  const editor = process.env.VISUAL || process.env.EDITOR;
  if (!editor) {
    out.write('  This command has several lines; set $EDITOR to edit it here, or copy it with [c].\n');
    return undefined;
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-edit-')), 'command.sh');
  try {
    fs.writeFileSync(file, command + '\n');
    const status = spawnSync(editor, [file], { stdio: 'inherit', shell: true }).status;
    return status === 0 ? fs.readFileSync(file, 'utf8').replace(/\n$/, '') : undefined;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** Runs a model call behind a spinner; errors are shown and the menu continues. */
async function withSpinner<T>(out: NodeJS.WriteStream, label: string, work: () => Promise<T>): Promise<T | undefined> {
  const spinner = startSpinner(process.stderr, `${label}...`);
  try {
    return await work();
  } catch (err) {
    spinner.stop();
    const message = err instanceof CmdaiError ? err.message + (err.hint ? ` ${err.hint}` : '') : (err as Error).message;
    out.write(`  ${paint(out).red('Failed:')} ${message}\n`);
    return undefined;
  } finally {
    spinner.stop();
  }
}
