// The interactive screen: the command, its explanation and risk, and a one-key menu.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { explainCommand, reviseCommand, type CommandResult, type GenerateCommandOptions, type RiskAssessment } from '../generate';
import type { InferenceBackend } from '../backends/types';
import { CmdaiError } from '../errors';
import { assistantTurn } from '../prompt/system';
import { EXIT } from './exit-codes';
import { copyToClipboard, describeCopy } from './clipboard';
import { runInShell } from './run';
import { onInterrupt, paint, readKey, readLine, startSpinner, wrapPieces, wrapText, wrapWidth } from './terminal';

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
  const width = wrapWidth(out);
  // The command is shown as it is (it is what runs and what is copied); prose wraps at word boundaries.
  if (showCommand) out.write(`\n${result.command.split('\n').map((line) => `  ${p.bold(line)}`).join('\n')}\n`);
  if (result.explanation) out.write(`\n${wrapText(result.explanation, width, '  ').split('\n').map((line) => p.dim(line)).join('\n')}\n`);
  out.write(`\n  ${renderRisk(result.risk, out)}\n`);
  for (const reason of result.risk.reasons) out.write(`${wrapText(reason.message, width, '    - ', '      ')}\n`);
  if (result.risk.decision === 'blocked') out.write(`${p.red(wrapText('Blocked by the safety policy: this command will not be run.', width, '  '))}\n`);
  else if (result.risk.decision === 'needsConfirmation') out.write(`${p.yellow(wrapText('Running it needs your explicit confirmation.', width, '  '))}\n`);
}

/** The other commands to choose from, each with the key that swaps it in. */
export function renderAlternatives(result: Pick<CommandResult, 'alternatives'>, out: NodeJS.WriteStream): void {
  const p = paint(out);
  for (const [i, alternative] of result.alternatives.entries()) {
    out.write(`\n  ${p.bold(`[${i + 1}]`)} ${alternative.command}  ${p.dim(`[${alternative.risk.level}]`)}\n`);
  }
}

function renderRisk(risk: RiskAssessment, out: NodeJS.WriteStream): string {
  const p = paint(out);
  const colour = p[RISK_COLOURS[risk.level]];
  return colour(`[${risk.level.toUpperCase()}]`) + (risk.reasons.length === 0 ? ' no risky operation found' : ' risk');
}

function menuLine(result: CommandResult, dryRun: boolean, out: NodeJS.WriteStream, trashable?: string[]): string {
  const p = paint(out);
  const run = result.risk.decision === 'blocked' ? p.dim('(run blocked)') : `${p.bold('[enter]')} ${dryRun ? 'dry run' : 'run'}`;
  const count = result.alternatives.length;
  const items = [run, ...(trashable ? [`${p.bold('[t]')} trash instead`] : []), `${p.bold('[e]')} edit`, `${p.bold('[r]')} revise`, `${p.bold('[x]')} explain`, `${p.bold('[c]')} copy`];
  if (count > 0) items.push(`${p.bold(count === 1 ? '[1]' : `[1-${count}]`)} alternative`);
  items.push(`${p.bold('[q]')} cancel`);
  // Each item stays whole; a narrow terminal gets several indented lines.
  return `\n${wrapPieces(items, wrapWidth(out), '  ', '  ', '  ')}  `;
}

/** Shows the menu until the user runs or cancels; resolves to the process exit code. */
export async function interactiveMenu(session: MenuSession): Promise<number> {
  const input = session.input ?? process.stdin;
  const out = session.output ?? process.stdout;
  const p = paint(out);
  let result = session.result;
  const { fillInImpact } = require('../impact/display') as typeof import('../impact/display');
  const { trashableTargets } = require('../trash/targets') as typeof import('../trash/targets');
  let previewed = '';

  let early = session.firstKey;
  for (;;) {
    const place = { cwd: process.cwd(), shell: result.shell, home: os.homedir() };
    const trashable = result.risk.decision === 'blocked' ? undefined : await trashableTargets(result.command, place);
    const pressed = early ? await early.key : undefined;
    early = undefined;
    if (pressed === undefined) out.write(menuLine(result, session.dryRun, out, trashable));
    const stopPreview =
      pressed !== undefined || previewed === result.command
        ? () => {}
        : fillInImpact(result.command, place, out, (line) => wrapText(line, wrapWidth(out), '  ', '    '));
    previewed = result.command;
    const key = pressed ?? (await readKey(input));
    stopPreview();
    out.write('\n');
    switch (key) {
      case 't': {
        if (!trashable) break;
        if (session.dryRun) {
          out.write(`  Dry run: would move ${trashable.length} item(s) to the trash.\n`);
          return EXIT.OK;
        }
        const { moveToTrash } = require('../trash') as typeof import('../trash');
        const record = moveToTrash(trashable, result.command);
        out.write(`  Moved ${record.items.length} item(s) to the trash instead of deleting them. \`cmdai undo\` puts them back.\n`);
        return EXIT.OK;
      }
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
        const revised = await withSpinner(out, 'Revising', async (signal) => {
          return reviseCommand(result, refinement, { ...session.generateOptions, backend: session.backend(), signal });
        });
        if (revised) {
          result = revised;
          renderResult(result, out);
        }
        break;
      }
      case 'x': {
        const explained = await withSpinner(out, 'Explaining', async (signal) => {
          return explainCommand(result.command, { ...session.generateOptions, backend: session.backend(), signal });
        });
        if (explained) out.write(`\n  ${explained.explanation.split('\n').join('\n  ')}\n`);
        break;
      }
      case 'c': {
        out.write(`  ${describeCopy(copyToClipboard(result.command, out))}\n`);
        break;
      }
      case 'q':
      case '\x1b':
      case '\x04':
        out.write('  Cancelled.\n');
        return EXIT.CANCELLED;
      case '\x03':
        // Ctrl-C at the top of the menu: stop quietly, as everywhere outside a step.
        return EXIT.INTERRUPTED;
      default: {
        const index = Number(key) - 1;
        const chosen = Number.isInteger(index) && index >= 0 ? result.alternatives[index] : undefined;
        if (!chosen) break;
        // The chosen alternative becomes the command; the previous command takes its place in the
        // list, under the same key, so the same key brings it back.
        const alternatives = [...result.alternatives];
        alternatives[index] = { command: result.command, explanation: result.explanation, risk: result.risk };
        result = { ...replaceCommand(result, chosen.command, chosen.explanation, chosen.risk), alternatives };
        renderResult(result, out);
        renderAlternatives(result, out);
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
  /** --dry-run: the menu says so. */
  dryRun?: boolean;
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
      out.write(menuLine({ risk, alternatives: [] } as unknown as CommandResult, options.dryRun ?? false, out) + '\n');
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
    out.write(`${wrapText(`${p.red(`Blocked: ${reasons}.`)} Edit it, revise it, or use --safety permissive if you are sure.`, wrapWidth(out), '  ')}\n`);
    return undefined;
  }
  if (result.risk.decision === 'needsConfirmation') {
    const answer = await readLine(p.yellow(`  This command is rated ${result.risk.level}. Type yes to run it: `), '', input, out);
    // Only the word asked for: "y" or "YES" could be a slip of the keyboard.
    if (answer?.trim() !== 'yes') {
      out.write(answer === undefined ? '  Not run (cancelled).\n' : '  Not run: only "yes" runs it.\n');
      return undefined;
    }
  }
  if (session.dryRun) {
    out.write(`  Dry run: not running ${JSON.stringify(result.command)}.\n`);
    return EXIT.OK;
  }
  out.write(`  Running it with ${result.shell}...\n\n`);
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

/**
 * Runs a model call behind a spinner; errors are shown and the menu continues. Ctrl-C cancels
 * the call and the user is back at the menu with the command as it was.
 */
async function withSpinner<T>(out: NodeJS.WriteStream, label: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const spinner = startSpinner(process.stderr, `${label}... (Ctrl-C to cancel)`);
  const controller = new AbortController();
  const restore = onInterrupt(() => {
    spinner.stop();
    controller.abort();
  });
  try {
    const value = await work(controller.signal);
    if (!controller.signal.aborted) return value;
    out.write(`  ${label} cancelled; the command is unchanged.\n`);
    return undefined;
  } catch (err) {
    spinner.stop();
    if (controller.signal.aborted) {
      out.write(`  ${label} cancelled; the command is unchanged.\n`);
      return undefined;
    }
    const message = err instanceof CmdaiError ? err.message + (err.hint ? ` ${err.hint}` : '') : (err as Error).message;
    out.write(`  ${paint(out).red('Failed:')} ${message}\n`);
    return undefined;
  } finally {
    restore();
    spinner.stop();
  }
}
