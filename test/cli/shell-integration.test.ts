// `cmdai init bash` in a real interactive bash in a pseudo-terminal: the request typed on the
// command line becomes the generated command in bash's own edit line after Ctrl-G.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath, ensureBuilt, isolatedEnv, PtySession, requireTinyModel, runCli } from './helpers';

jest.setTimeout(180_000);

test('bash: Ctrl-G replaces the typed request with the generated command, ready to edit', async () => {
  ensureBuilt();
  const model = requireTinyModel();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-bash-'));
  const binDir = path.join(dir, 'bin');
  fs.mkdirSync(binDir);
  // `cmdai` on PATH, as after `npm i -g`, with the test model as the configured default
  // (the script itself comes from the real `cmdai init bash`).
  fs.writeFileSync(
    path.join(binDir, 'cmdai'),
    `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" --model "${model}" --max-tokens 48 "$@"\n`,
    { mode: 0o755 },
  );
  const env = isolatedEnv({ PATH: `${binDir}:${process.env.PATH}` });
  const expected = runCli(['--model', model, '--max-tokens', '48', '--print', '--shell', 'bash', '--', 'list files here'], { env, cwd: dir });
  expect(expected.status).toBe(0);

  const lineFile = path.join(dir, 'line.txt');
  const rc = path.join(dir, 'bashrc');
  // Ctrl-T writes the current edit line to a file so the test can read exactly what bash holds.
  fs.writeFileSync(rc, `PS1='test$ '\neval "$('${process.execPath}' '${cliPath}' init bash)"\nbind -x '"\\C-t": printf %s "$READLINE_LINE" > ${lineFile}'\n`);
  const shell = new PtySession([], env, dir, ['bash', '--rcfile', rc, '-i']);
  try {
    await shell.waitFor('test$ ');
    shell.press('list files here');
    await shell.waitFor('test$ list files here');
    shell.press('\x07'); // Ctrl-G
    const want = expected.stdout.replace(/\n$/, '');
    const started = Date.now();
    // Ctrl-T until bash's edit line holds the generated command (the widget takes a few seconds).
    while (Date.now() - started < 120_000) {
      shell.press('\x14');
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (fs.existsSync(lineFile) && fs.readFileSync(lineFile, 'utf8') === want) break;
    }
    expect(fs.readFileSync(lineFile, 'utf8')).toBe(want);
    shell.press('\x05\x15'); // Ctrl-E Ctrl-U: clear the line without running it
    shell.press('exit\r');
    await shell.exitCode();
  } finally {
    shell.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
