// Exit codes are part of the CLI's interface (scripts branch on them); documented in specs/cli.md.
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
  /** No backend could answer: model missing, unusable or offline, engine not loadable, server down or refusing. */
  BACKEND_UNAVAILABLE: 4,
  /** The user cancelled (menu, confirmation question). */
  CANCELLED: 5,
  /** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const;

export function exitCodeForError(code: ErrorCode | undefined): number {
  switch (code) {
    case 'USAGE':
    case 'CONFIG':
      return EXIT.USAGE;
    case 'BLOCKED':
      return EXIT.BLOCKED;
    case 'BACKEND_UNAVAILABLE':
    case 'BACKEND_AUTH':
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

export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    success (when a command is run, its own exit code is passed through)',
  '  1    generation failed',
  '  2    usage or configuration error',
  '  3    blocked by the safety policy',
  '  4    backend unavailable (no usable model, offline, engine or server not reachable)',
  '  5    cancelled',
  '  130  interrupted (Ctrl-C)',
].join('\n');
