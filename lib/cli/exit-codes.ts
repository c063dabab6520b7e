// Exit codes are part of the CLI's interface (scripts branch on them). This table is the one
// source: `cmdai --help` prints it, specs/cli.md states it, and a test compares the two.
import type { ErrorCode } from '../errors';

export const EXIT = {
  /** The command was printed (or run, and its own exit code is passed through instead). */
  OK: 0,
  /** The model failed or gave no usable answer. */
  GENERATION_FAILED: 1,
  /** Bad flags, arguments, request or configuration. */
  USAGE: 2,
  /** The safety policy blocked the command. */
  BLOCKED: 3,
  /** No backend could answer: model missing, unusable or offline, engine not loadable, server down, refusing or not that kind of server. */
  BACKEND_UNAVAILABLE: 4,
  /** The user cancelled (menu, declined download). */
  CANCELLED: 5,
  /** `cmdai check` only: the command would run after the user confirms it. */
  NEEDS_CONFIRMATION: 6,
  /** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const;

/** Each code with the words `--help` and specs/cli.md use for it. */
export const EXIT_CODE_TABLE: readonly { code: number; meaning: string }[] = [
  { code: EXIT.OK, meaning: 'success (when a command is run, its own exit code is passed through)' },
  { code: EXIT.GENERATION_FAILED, meaning: 'generation failed (model error, unusable answer, unexpected error)' },
  { code: EXIT.USAGE, meaning: 'usage or configuration error (bad flag, value, request, model name or config file)' },
  { code: EXIT.BLOCKED, meaning: 'blocked by the safety policy' },
  { code: EXIT.BACKEND_UNAVAILABLE, meaning: 'backend unavailable (no usable model, offline, engine not loadable, server unreachable, refusing or not answering as one)' },
  { code: EXIT.CANCELLED, meaning: 'cancelled (q or Esc in the menu, declined download)' },
  { code: EXIT.NEEDS_CONFIRMATION, meaning: '`cmdai check` only: allowed after confirmation' },
  { code: EXIT.INTERRUPTED, meaning: 'interrupted (Ctrl-C)' },
];

export function exitCodeForError(code: ErrorCode | undefined): number {
  switch (code) {
    case 'USAGE':
    case 'CONFIG':
      return EXIT.USAGE;
    case 'BLOCKED':
      return EXIT.BLOCKED;
    case 'BACKEND_UNAVAILABLE':
    case 'BACKEND_AUTH':
    case 'BACKEND_PROTOCOL':
    case 'MODEL_MISSING':
    case 'MODEL_INVALID':
    case 'OFFLINE':
    case 'DOWNLOAD':
      return EXIT.BACKEND_UNAVAILABLE;
    case 'CANCELLED':
      return EXIT.CANCELLED;
    case 'ABORTED':
      return EXIT.INTERRUPTED;
    default:
      return EXIT.GENERATION_FAILED;
  }
}

export const EXIT_CODES_HELP = ['Exit codes:', ...EXIT_CODE_TABLE.map(({ code, meaning }) => `  ${String(code).padEnd(4)} ${meaning}`)].join('\n');
