// The instructions the model gets. The system message depends only on the machine (OS, shell,
// userland, tools) so its KV state can be cached; what changes per run (the working directory,
// the request) goes in the user message.
import type { ChatMessage } from '../engine/types';
import type { ShellName } from '../config/keys';
import { Environment, isPosixShell, Userland } from './environment';

/** Bump when the wording changes: it is part of the prompt-cache key. */
export const PROMPT_VERSION = 1;

/** Longest request accepted, in characters; longer ones would crowd the model's context. */
export const MAX_REQUEST_CHARS = 4000;

const USERLAND_NOTES: Record<Userland, string> = {
  gnu: 'GNU coreutils/findutils/sed/grep (GNU options such as `sed -i`, `find -printf`, `du -b` work)',
  bsd: 'BSD userland as on macOS (use BSD options: `sed -i \'\'`, `stat -f`, no `find -printf`, `du -k` not `du -b`)',
  busybox: 'BusyBox applets (keep to POSIX options; many GNU long options are missing)',
  windows: 'Windows (no POSIX tools unless listed)',
};

function shellLabel(shell: ShellName): string {
  switch (shell) {
    case 'pwsh':
      return 'PowerShell 7 (pwsh)';
    case 'powershell':
      return 'Windows PowerShell 5.1';
    case 'cmd':
      return 'cmd.exe';
    default:
      return shell;
  }
}

interface Example {
  request: string;
  command: string;
  explanation: string;
}

function examplesFor(shell: ShellName): Example[] {
  if (shell === 'pwsh' || shell === 'powershell') {
    return [
      {
        request: 'find files larger than 100MB under this folder',
        command: 'Get-ChildItem -Recurse -File | Where-Object Length -gt 100MB | Select-Object FullName, Length',
        explanation: 'Lists every file below the current folder bigger than 100 MB with its size.',
      },
    ];
  }
  if (shell === 'cmd') {
    return [{ request: 'show all text files here', command: 'dir /b *.txt', explanation: 'Lists the names of the .txt files in the current folder.' }];
  }
  return [
    {
      request: 'find files larger than 100MB under this folder',
      command: 'find . -type f -size +100M -exec ls -lh {} +',
      explanation: 'Finds regular files below the current directory bigger than 100 MB and lists them with sizes.',
    },
    {
      request: 'count lines in all python files',
      command: "find . -name '*.py' -type f -print0 | xargs -0 wc -l",
      explanation: 'Counts the lines of every .py file below the current directory, with a total.',
    },
  ];
}

export function buildSystemPrompt(environment: Environment): string {
  const shell = environment.shell;
  const tools = environment.tools.length > 0 ? environment.tools.join(', ') : 'only the shell builtins';
  const posix = isPosixShell(shell);
  const examples = examplesFor(shell)
    .map((example) => `Request: ${example.request}\n${JSON.stringify({ command: example.command, explanation: example.explanation })}`)
    .join('\n\n');
  return [
    'You are cmdai. You turn a request written in plain English into one shell command.',
    '',
    `Shell: ${shellLabel(shell)}`,
    `Operating system: ${environment.osName}`,
    `Userland: ${USERLAND_NOTES[environment.userland]}`,
    `Installed tools: ${tools}`,
    '',
    'Rules:',
    `- Write one command for ${shellLabel(shell)} that does what was asked. ${posix ? 'Pipes, && and ; are fine.' : 'Pipelines are fine.'} Use several lines only when the shell needs them.`,
    '- Use only options that exist in this userland, and prefer the installed tools.',
    '- Do exactly what was asked and nothing more. Do not delete, overwrite, move, kill, format, change permissions or ownership, or use sudo unless the request asks for it.',
    '- When the request is destructive, use the narrowest form that does it (no force flags, no recursion or wildcards beyond what was asked).',
    '- When the request is ambiguous, prefer a command that shows or lists over one that changes things.',
    '- Quote file names and patterns. Use a placeholder like <file> only when the request names nothing.',
    '- The working directory and the request come in the user message.',
    '- Answer with JSON only: {"command": "...", "explanation": "..."}. The explanation is one or two short sentences saying what the command does and anything risky about it.',
    '',
    'Examples:',
    '',
    examples,
  ].join('\n');
}

/**
 * How every first user turn starts: a backend that caches the system prompt's state can cache
 * this with it (GenerateRequest.stableUserStart), so only what follows is evaluated per request.
 */
export const USER_MESSAGE_START = 'Working directory:';

/** The user turn: per-run context plus the request; piped input (already delimited) goes between them. */
export function buildUserMessage(request: string, cwd: string, pipedInput?: string): string {
  return `${USER_MESSAGE_START} ${cwd}\n${pipedInput ? `${pipedInput}\n` : ''}Request: ${request}`;
}

/** A follow-up turn asking to change the previous answer. */
export function buildRevisionMessage(refinement: string): string {
  return `Change the command: ${refinement}\nAnswer with the whole new command.`;
}

/** What the assistant said, in the same JSON form it is asked to produce. */
export function assistantTurn(command: string, explanation: string): ChatMessage {
  return { role: 'assistant', content: JSON.stringify({ command, explanation }) };
}

export function buildExplainSystemPrompt(environment: Environment): string {
  return [
    'You are cmdai. You explain shell commands to the person about to run them.',
    '',
    `Shell: ${shellLabel(environment.shell)}`,
    `Operating system: ${environment.osName}`,
    `Userland: ${USERLAND_NOTES[environment.userland]}`,
    '',
    'Explain what the command in the user message does: each part in plain words, what it changes, and anything risky.',
    'Answer with JSON only: {"explanation": "..."}. Keep it under 120 words.',
  ].join('\n');
}

export function buildExplainUserMessage(command: string): string {
  return `Command:\n${command}`;
}
