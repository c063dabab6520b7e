import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import {
  buildSystemPrompt,
  buildUserMessage,
  commandAnswerSchema,
  detectEnvironment,
  Environment,
  JsonFieldStream,
  limitsForTokenBudget,
  parseCommandAnswer,
  shellFromName,
} from '../../lib/prompt';
import { CmdaiError } from '../../lib/errors';

const noFiles = () => undefined;
const noParent = () => undefined;

describe('operating system', () => {
  test('Linux names the distribution from /etc/os-release', () => {
    const readFile = (file: string) => (file === '/etc/os-release' ? 'NAME="Ubuntu"\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n' : undefined);
    expect(detectEnvironment({ platform: 'linux', env: {}, readFile, parentProcessName: noParent }).osName).toBe('Linux (Ubuntu 24.04.1 LTS)');
  });

  test('macOS reads the product version', () => {
    const plist = '<dict><key>ProductName</key><string>macOS</string><key>ProductVersion</key><string>14.5</string></dict>';
    const env = detectEnvironment({ platform: 'darwin', env: {}, readFile: () => plist, parentProcessName: noParent });
    expect(env.osName).toBe('macOS 14.5');
    expect(env.userland).toBe('bsd');
  });

  test('Windows 11 is told apart from Windows 10 by build number', () => {
    const env = detectEnvironment({ platform: 'win32', env: {}, readFile: noFiles, osRelease: '10.0.22631' });
    expect(env.osName).toBe('Windows 11 (build 22631)');
    expect(env.userland).toBe('windows');
  });
});

describe('shell detection', () => {
  test('an override wins over everything', () => {
    expect(detectEnvironment({ shell: 'fish', platform: 'linux', env: { SHELL: '/bin/zsh' }, readFile: noFiles }).shell).toBe('fish');
  });

  test('the parent shell process is preferred over $SHELL', () => {
    const env = detectEnvironment({ platform: 'linux', env: { SHELL: '/bin/bash' }, readFile: noFiles, parentProcessName: () => 'zsh' });
    expect(env).toMatchObject({ shell: 'zsh', shellSource: 'parent process' });
  });

  test('a parent `sh -c` (as npx uses) defers to $SHELL', () => {
    const env = detectEnvironment({ platform: 'linux', env: { SHELL: '/usr/bin/fish' }, readFile: noFiles, parentProcessName: () => 'sh' });
    expect(env).toMatchObject({ shell: 'fish', shellSource: 'SHELL' });
  });

  test('PowerShell on Windows is recognised from PSModulePath', () => {
    const PSModulePath = 'C:\\Users\\u\\Documents\\PowerShell\\Modules;C:\\Program Files\\PowerShell\\Modules';
    expect(detectEnvironment({ platform: 'win32', env: { PSModulePath }, readFile: noFiles }).shell).toBe('pwsh');
  });

  test('cmd.exe is the Windows fallback', () => {
    const env = detectEnvironment({ platform: 'win32', env: { ComSpec: 'C:\\Windows\\system32\\cmd.exe', PSModulePath: 'C:\\Program Files\\WindowsPowerShell\\Modules' }, readFile: noFiles });
    expect(env).toMatchObject({ shell: 'cmd', shellSource: 'ComSpec' });
  });

  test('shell names are read from paths and login-shell spellings', () => {
    expect(shellFromName('/usr/local/bin/zsh')).toBe('zsh');
    expect(shellFromName('-bash')).toBe('bash');
    expect(shellFromName('C:\\Program Files\\PowerShell\\7\\pwsh.exe')).toBe('pwsh');
    expect(shellFromName('node')).toBeUndefined();
  });
});

test('tools are found on PATH', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-path-'));
  try {
    for (const tool of ['rg', 'jq']) fs.writeFileSync(path.join(dir, tool), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'fd'), 'not executable', { mode: 0o644 });
    const env = detectEnvironment({ platform: 'linux', env: { PATH: dir }, readFile: noFiles, parentProcessName: noParent });
    expect(env.tools).toEqual(['rg', 'jq']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('system prompt', () => {
  const machine: Environment = {
    platform: 'darwin',
    osName: 'macOS 14.5',
    shell: 'zsh',
    shellSource: 'SHELL',
    userland: 'bsd',
    cwd: '/Users/u/project',
    tools: ['git', 'rg'],
  };

  test('carries the shell, OS, userland and installed tools', () => {
    const prompt = buildSystemPrompt(machine);
    expect(prompt).toContain('Shell: zsh');
    expect(prompt).toContain('macOS 14.5');
    expect(prompt).toContain('BSD userland');
    expect(prompt).toContain('Installed tools: git, rg');
  });

  test('does not depend on the working directory, so its cached state survives cd', () => {
    expect(buildSystemPrompt({ ...machine, cwd: '/tmp' })).toBe(buildSystemPrompt(machine));
    expect(buildSystemPrompt(machine)).not.toContain('/Users/u/project');
    expect(buildUserMessage('list files', '/Users/u/project')).toContain('Working directory: /Users/u/project');
  });

  test('steers away from destructive actions nobody asked for', () => {
    expect(buildSystemPrompt(machine)).toMatch(/Do not delete, overwrite, move, kill, format/);
  });

  test('PowerShell gets PowerShell examples', () => {
    expect(buildSystemPrompt({ ...machine, platform: 'win32', shell: 'pwsh', userland: 'windows' })).toContain('Get-ChildItem');
  });
});

describe('answer schema', () => {
  test('is a valid JSON Schema that accepts a command answer', () => {
    const validate = new Ajv().compile(commandAnswerSchema(limitsForTokenBudget(256)));
    expect(validate({ command: 'ls -la', explanation: 'Lists files.' })).toBe(true);
    expect(validate({ command: '', explanation: 'x' })).toBe(false);
    expect(validate({ command: 'ls', explanation: 'x', extra: 1 })).toBe(false);
  });

  test('the length caps fit the token budget', () => {
    const limits = limitsForTokenBudget(200);
    expect(limits.maxCommandChars + limits.maxExplanationChars).toBeLessThanOrEqual(200 - 20);
  });

  test('commands with quotes, braces, pipes and newlines survive parsing intact', () => {
    const command = `find . -name '*.log' -exec sh -c 'echo "{}" | tr a-z A-Z' \\;\ncat <<'EOF'\n{"a": 1}\nEOF`;
    const text = JSON.stringify({ command, explanation: 'Does "things".' });
    expect(parseCommandAnswer(text)).toEqual({ command, explanation: 'Does "things".' });
  });

  test('a cut-off answer is a generation error that says so', () => {
    let error: unknown;
    try {
      parseCommandAnswer('{"command": "ls -l', 'length');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CmdaiError);
    expect((error as CmdaiError).code).toBe('GENERATION');
    expect((error as CmdaiError).message).toContain('cut off');
  });

  test('an empty command is rejected', () => {
    expect(() => parseCommandAnswer('{"command": "  ", "explanation": ""}')).toThrow('no command');
  });
});

describe('streaming display of the command', () => {
  test('emits exactly the decoded command, however the JSON is split', () => {
    const command = 'grep -r "TODO \\"x\\"" . | sort\nwc -l \u00e9';
    const text = JSON.stringify({ explanation: 'has "command": inside', command });
    for (const size of [1, 2, 3, 7, text.length]) {
      let shown = '';
      const stream = new JsonFieldStream('command', (piece) => (shown += piece));
      for (let i = 0; i < text.length; i += size) stream.push(text.slice(i, i + size));
      expect(shown).toBe(command);
    }
  });
});
