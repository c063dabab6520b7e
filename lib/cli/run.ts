// Runs a command in the user's shell with the terminal inherited, and reports its exit code.
import { spawn } from 'node:child_process';
import type { ShellName } from '../config/keys';
import { CmdaiError } from '../errors';
import { onInterrupt } from './terminal';

export interface ShellInvocation {
  file: string;
  args: string[];
  windowsVerbatimArguments?: boolean;
}

export function shellInvocation(shell: ShellName, command: string, env: NodeJS.ProcessEnv = process.env): ShellInvocation {
  switch (shell) {
    case 'pwsh':
      return { file: 'pwsh', args: ['-NoProfile', '-Command', command] };
    case 'powershell':
      return { file: 'powershell.exe', args: ['-NoProfile', '-Command', command] };
    case 'cmd':
      // /s /c "<command>" keeps cmd.exe's own quoting rules for the command line.
      return { file: env.ComSpec || 'cmd.exe', args: ['/d', '/s', '/c', `"${command}"`], windowsVerbatimArguments: true };
    case 'fish':
      // One argument `--command=<cmd>`: a command starting with "-" cannot be read as fish's own option.
      return { file: shell, args: [`--command=${command}`] };
    default:
      // `--` ends the shell's options, so a command starting with "-" is a command, not an option.
      return { file: shell, args: ['-c', '--', command] };
  }
}

/** Resolves to the command's exit code (128 + signal number when a signal ended it). */
export function runInShell(shell: ShellName, command: string): Promise<number> {
  const invocation = shellInvocation(shell, command);
  return new Promise((resolve, reject) => {
    const child = spawn(invocation.file, invocation.args, {
      stdio: 'inherit',
      windowsVerbatimArguments: invocation.windowsVerbatimArguments,
    });
    // The child owns the terminal now: Ctrl-C is for it, not for us.
    const restore = onInterrupt(() => {});
    child.on('error', (err: NodeJS.ErrnoException) => {
      restore();
      if (err.code === 'ENOENT') {
        reject(new CmdaiError('USAGE', `Cannot run the command: the shell "${invocation.file}" was not found.`, {
          hint: 'Install it, or pick the shell you have with --shell (or `shell` in the config).',
        }));
      } else reject(err);
    });
    child.on('exit', (code, signal) => {
      restore();
      if (code !== null) resolve(code);
      else resolve(128 + signalNumber(signal));
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return (signal && numbers[signal]) || 1;
}
