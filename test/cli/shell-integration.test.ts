// `cmdai init <shell>` in a real interactive shell in a pseudo-terminal: the request typed on
// the command line becomes the generated command in the shell's own edit line after Ctrl-G.
// A second key binding (Ctrl-T) writes the shell's edit buffer to a file so the test reads
// exactly what the shell holds. Shells that are not installed are skipped (bash always is).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath, ensureBuilt, FakeOpenAIServer, isolatedEnv, PtySession, requireTinyModel, runCli, TmuxSession } from './helpers';

jest.setTimeout(180_000);

interface ShellSetup {
  /** Writes the shell's startup file into `dir`; returns the command line that starts it. */
  start(dir: string, init: string, lineFile: string): { program: string[]; env?: NodeJS.ProcessEnv };
}

const SHELLS: Record<string, ShellSetup> = {
  bash: {
    start(dir, init, lineFile) {
      const rc = path.join(dir, 'bashrc');
      fs.writeFileSync(rc, `PS1='test$ '\n${init}\nbind -x '"\\C-t": printf %s "$READLINE_LINE" > ${lineFile}'\n`);
      return { program: ['bash', '--rcfile', rc, '-i'] };
    },
  },
  zsh: {
    start(dir, init, lineFile) {
      fs.writeFileSync(
        path.join(dir, '.zshrc'),
        `PROMPT='test$ '\n${init}\n__dump_buffer() { print -rn -- "$BUFFER" > ${lineFile} }\nzle -N __dump_buffer\nbindkey '^T' __dump_buffer\n`,
      );
      return { program: ['zsh', '-i'], env: { ZDOTDIR: dir } };
    },
  },
  fish: {
    start(dir, init, lineFile) {
      const rc = path.join(dir, 'init.fish');
      fs.writeFileSync(rc, `function fish_prompt; echo -n 'test$ '; end\nset -g fish_greeting\n${init}\nbind \\ct 'commandline > ${lineFile}'\n`);
      return { program: ['fish', '--no-config', '-i', '-C', `source ${rc}`] };
    },
  },
};

const installed = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

describe.each(Object.keys(SHELLS))('%s', (shellName) => {
  const run = installed(shellName) ? test : test.skip;

  run('Ctrl-G replaces the typed request with the generated command, ready to edit', async () => {
    ensureBuilt();
    const model = requireTinyModel();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cmdai-${shellName}-`));
    const binDir = path.join(dir, 'bin');
    fs.mkdirSync(binDir);
    // `cmdai` on PATH, as after `npm i -g`, with the test model as the configured default.
    fs.writeFileSync(path.join(binDir, 'cmdai'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" --model "${model}" --max-tokens 48 "$@"\n`, { mode: 0o755 });
    const env = isolatedEnv({ PATH: `${binDir}:${process.env.PATH}` });
    const init = runCli(['init', shellName], { env }).stdout;
    const expected = runCli(['--model', model, '--max-tokens', '48', '--print', '--shell', shellName, '--', 'list files here'], { env, cwd: dir });
    expect(expected.status).toBe(0);
    const want = expected.stdout.replace(/\n$/, '');

    const lineFile = path.join(dir, 'line.txt');
    const setup = SHELLS[shellName].start(dir, init, lineFile);
    const shell = new PtySession([], { ...env, ...setup.env }, dir, setup.program);
    try {
      await shell.waitFor('test$ ');
      shell.press('list files here');
      await shell.waitFor('test$ list files here');
      shell.press('\x07'); // Ctrl-G
      const started = Date.now();
      // Ctrl-T until the edit line holds the generated command (the widget takes a few seconds).
      while (Date.now() - started < 120_000) {
        shell.press('\x14');
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (fs.existsSync(lineFile) && fs.readFileSync(lineFile, 'utf8').replace(/\n$/, '') === want) break;
      }
      expect(fs.readFileSync(lineFile, 'utf8').replace(/\n$/, '')).toBe(want);
      shell.press('\x05\x15'); // Ctrl-E Ctrl-U: clear the line without running it
      shell.press('exit\r');
      await shell.exitCode();
    } finally {
      shell.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what stays on screen (tmux)', () => {
  let server: FakeOpenAIServer;
  let dir: string;
  const sessions: TmuxSession[] = [];
  beforeAll(async () => {
    ensureBuilt();
    server = await new FakeOpenAIServer().start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-screen-'));
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `cmdai` on PATH with extra arguments, as an installed copy with a config would behave. */
  function shellEnv(extraArgs: string[]): NodeJS.ProcessEnv {
    const binDir = path.join(dir, 'bin');
    fs.mkdirSync(binDir);
    fs.writeFileSync(path.join(binDir, 'cmdai'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" ${extraArgs.map((a) => `'${a}'`).join(' ')} "$@"\n`, { mode: 0o755 });
    return isolatedEnv({ PATH: `${binDir}:${process.env.PATH}`, TERM: 'xterm-256color' });
  }

  function startShell(shellName: string, env: NodeJS.ProcessEnv): TmuxSession {
    const init = runCli(['init', shellName], { env }).stdout;
    const setup = SHELLS[shellName].start(dir, init, path.join(dir, 'line.txt'));
    const session = new TmuxSession(setup.program, { ...env, ...setup.env }, dir);
    sessions.push(session);
    return session;
  }

  const zsh = installed('zsh') ? test : test.skip;
  zsh('zsh: an error message stays whole above the prompt drawn again after it', async () => {
    // No model and offline: cmdai explains on the terminal and exits non-zero.
    const shell = startShell('zsh', shellEnv(['--model', 'qwen2.5-coder-1.5b']));
    await shell.waitFor('test$'); // tmux drops trailing spaces
    shell.send('list files here');
    shell.send('C-g');
    await shell.waitFor(/cmdai model pull qwen2\.5-coder-1\.5b\n(.*\n)*test\$ list files here/);
  });

  test('bash: Ctrl-C while cmdai waits leaves no spinner on the line', async () => {
    server.silent = true;
    const shell = startShell('bash', shellEnv(['--backend', 'openai', '--endpoint', server.endpoint, '--timeout', '60000']));
    await shell.waitFor('test$');
    shell.send('list files here');
    shell.send('C-g');
    await shell.waitFor('Asking openai');
    shell.send('C-c');
    // bash drops the line on Ctrl-C and shows a fresh prompt.
    await shell.waitFor(/^test\$\s*$/m);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(shell.screen).not.toContain('Asking openai');
    expect(shell.screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });
});

test('the README and the script header recommend the same way to install the integration', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const env = isolatedEnv();
  for (const shellName of ['bash', 'zsh']) {
    const header = runCli(['init', shellName], { env }).stdout.split('\n')[0];
    const recommended = /Add to \S+:\s+(.*)$/.exec(header)![1];
    expect(recommended).toBe(`eval "$(cmdai init ${shellName})"`);
    expect(readme).not.toContain(`cmdai init ${shellName} >>`);
  }
  expect(readme).toContain('eval "$(cmdai init zsh)"');
});
