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

/** Returns how the text was copied, e.g. ["terminal (OSC 52)", "xclip"]. */
export function copyToClipboard(text: string, terminal: NodeJS.WriteStream = process.stdout): string[] {
  const used: string[] = [];
  if (terminal.isTTY) {
    terminal.write(`\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`);
    used.push('terminal (OSC 52)');
  }
  for (const [tool, args] of TOOLS[process.platform] ?? TOOLS.linux) {
    if (!onPath(tool)) continue;
    const result = spawnSync(tool, args, { input: text, stdio: ['pipe', 'ignore', 'ignore'], timeout: 2000 });
    if (result.status === 0) {
      used.push(tool);
      break;
    }
  }
  return used;
}

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => fs.existsSync(path.join(dir, tool)));
}
