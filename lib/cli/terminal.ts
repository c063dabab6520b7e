// Small terminal helpers: colour, a spinner, single keypresses and an editable line.
import * as readline from 'node:readline';
import { CmdaiError } from '../errors';

export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function paint(stream: NodeJS.WriteStream) {
  const on = useColor(stream);
  const wrap = (open: number, close: number) => (text: string) => (on ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    inverse: wrap(7, 27),
  };
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  text(label: string): void;
  stop(): void;
}

/** The spinner on screen, if any, so Ctrl-C can clear it before cmdai exits. */
let activeSpinner: Spinner | undefined;

/** A spinner on a TTY stream; a no-op elsewhere so piped output stays clean. */
export function startSpinner(stream: NodeJS.WriteStream, label: string): Spinner {
  if (!stream.isTTY) return { text() {}, stop() {} };
  let frame = 0;
  let current = label;
  let stopped = false;
  const draw = () => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  const spinner: Spinner = {
    text(next: string) {
      current = next;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\x1b[2K');
      if (activeSpinner === spinner) activeSpinner = undefined;
    },
  };
  activeSpinner = spinner;
  return spinner;
}

// Ctrl-C (specs/cli.md): inside a step it cancels that step and the user is back where they
// were; anywhere else cmdai stops quietly with exit code 130. Steps push a handler while they run.
const interruptHandlers: (() => void)[] = [];
let interruptsInstalled = false;

/** Ctrl-C now cancels this step instead of stopping cmdai; call the returned function when the step ends. */
export function onInterrupt(handler: () => void): () => void {
  installInterruptHandling();
  interruptHandlers.push(handler);
  return () => {
    const index = interruptHandlers.lastIndexOf(handler);
    if (index >= 0) interruptHandlers.splice(index, 1);
  };
}

/** Ctrl-C stopped work the user will not miss: cmdai exits 130 and says nothing. */
export class QuietInterruption extends CmdaiError {
  constructor(cause?: unknown) {
    super('ABORTED', 'Interrupted.', { cause });
    this.name = 'QuietInterruption';
  }
}

/**
 * Top-level model work (loading, generating): Ctrl-C clears the spinner and aborts the work, so
 * the engine stops its token loop before cmdai exits 130 (exiting mid-generation would wait for
 * the native worker anyway). A second Ctrl-C exits at once.
 */
export function abortOnInterrupt(): { signal: AbortSignal; restore: () => void } {
  const controller = new AbortController();
  const restore = onInterrupt(() => {
    if (controller.signal.aborted) process.exit(130);
    activeSpinner?.stop();
    controller.abort();
  });
  return { signal: controller.signal, restore };
}

/** The top-level rule: clear the spinner, leave the cursor on a fresh line, exit 130. */
export function installInterruptHandling(): void {
  if (interruptsInstalled) return;
  interruptsInstalled = true;
  process.on('SIGINT', () => {
    const step = interruptHandlers.at(-1);
    if (step) return step();
    activeSpinner?.stop();
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.exit(130);
  });
}

/** Waits for one keypress in raw mode and returns it (Ctrl-C comes back as "\x03"). */
export function readKey(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve) => {
    const wasRaw = input.isRaw;
    input.setRawMode?.(true);
    input.resume();
    input.once('data', (data: Buffer) => {
      input.setRawMode?.(wasRaw ?? false);
      input.pause();
      resolve(data.toString('utf8'));
    });
  });
}

/**
 * Asks for a line, optionally prefilled with text the user can edit in place.
 * Resolves to undefined when the user presses Ctrl-C or Ctrl-D.
 */
export function readLine(prompt: string, prefill = '', input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input, output, terminal: true, historySize: 0 });
    let settled = false;
    const finish = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      rl.close();
      input.pause();
      resolve(value);
    };
    rl.on('SIGINT', () => {
      output.write('\n');
      finish(undefined);
    });
    rl.on('close', () => finish(undefined));
    rl.question(prompt, (answer) => finish(answer));
    if (prefill) rl.write(prefill);
  });
}

const ANSI_CODES = /\x1b\[[0-9;]*m/g;

/** Width of text on screen (colour codes take no room). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI_CODES, '')].length;
}

/** Columns to wrap at: the terminal's width, or none when the output is not a terminal. */
export function wrapWidth(stream: NodeJS.WriteStream): number | undefined {
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}

/**
 * Lays out pieces (words, or menu items kept whole) in lines no wider than `width`, breaking only
 * between pieces; the first line starts with `first`, the others with `rest` (a hanging indent).
 * A piece wider than a line gets a line of its own. Without a width, one line.
 */
export function wrapPieces(pieces: string[], width: number | undefined, first: string, rest: string, separator = ' '): string {
  if (width === undefined) return first + pieces.join(separator);
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const piece of pieces) {
    const candidate = empty ? line + piece : line + separator + piece;
    if (!empty && visibleLength(candidate) > width - 1) {
      lines.push(line);
      line = rest + piece;
    } else {
      line = candidate;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Wraps prose at word boundaries with a hanging indent. */
export function wrapText(text: string, width: number | undefined, first: string, rest: string = ' '.repeat(visibleLength(first))): string {
  return text
    .split('\n')
    .map((paragraph, i) => wrapPieces(paragraph.split(' ').filter((word) => word !== ''), width, i === 0 ? first : rest, rest))
    .join('\n');
}
