// Copies text to the clipboard: OSC 52 (works over SSH in most terminals) plus the local tool.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const TOOLS: Record<string, [string, string[]][]> = {
  darwin: [['pbcopy', []]],
  win32: [['clip.exe', []]],
  linux: [
    ['wl-copy', []],
    ['xclip', ['-selection', 'clipboard']],
    ['xsel', ['--clipboard', '--input']],
  ],
};

export interface CopyAttempt {
  /** The terminal was asked to copy (OSC 52); whether it did cannot be known. */
  askedTerminal: boolean;
  /** A clipboard tool that took the text and exited 0: this one is confirmed. */
  tool?: string;
  /** Tools found that failed (e.g. no display). */
  failed: string[];
}

/** Copies through the terminal (OSC 52) and the first working local tool; says what was tried. */
export function copyToClipboard(text: string, terminal: NodeJS.WriteStream = process.stdout): CopyAttempt {
  const attempt: CopyAttempt = { askedTerminal: false, failed: [] };
  if (terminal.isTTY) {
    terminal.write(`\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`);
    attempt.askedTerminal = true;
  }
  for (const [tool, args] of TOOLS[process.platform] ?? TOOLS.linux) {
    if (!onPath(tool)) continue;
    const result = spawnSync(tool, args, { input: text, stdio: ['pipe', 'ignore', 'ignore'], timeout: 2000 });
    if (result.status === 0) {
      attempt.tool = tool;
      break;
    }
    attempt.failed.push(tool);
  }
  return attempt;
}

/** What happened, claiming a copy only when a tool confirmed it. */
export function describeCopy(attempt: CopyAttempt): string {
  if (attempt.tool) return `Copied with ${attempt.tool}.`;
  const failed = attempt.failed.length > 0 ? ` (${attempt.failed.join(', ')} failed)` : '';
  if (attempt.askedTerminal) {
    return `Asked the terminal to copy it (OSC 52)${failed}; whether it did depends on the terminal and its settings.`;
  }
  return `Not copied: no clipboard tool works here${failed}, and this is not a terminal.`;
}

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => fs.existsSync(path.join(dir, tool)));
}
