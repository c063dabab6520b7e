// Ctrl-C, pressed in a real terminal (specs/cli.md): inside a step it cancels that step and the
// user is back where they were; anywhere else cmdai stops quietly with exit code 130.
// A local server that never answers keeps the model steps busy for as long as the test needs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isolatedEnv, requireTinyModel, useCliSuite } from './helpers';

jest.setTimeout(120_000);

const MENU = '[q] cancel';
const CTRL_C = '\x03';
const suite = useCliSuite({ server: true, workDirPrefix: 'cmdai-ctrlc-' });
beforeAll(() => {
  suite.server.silent = true;
});
const start = suite.start;

/** What a user should never see after pressing Ctrl-C. */
function expectQuiet(screen: string): void {
  expect(screen).not.toMatch(/unexpected error|please report|Cancelled\.|\n\s+at /);
}

describe('at the top level cmdai stops quietly with exit code 130', () => {
  test('in the menu', async () => {
    const cli = start(['--shell', 'bash', '--command', 'echo hi']);
    await cli.waitFor(MENU);
    cli.press(CTRL_C);
    expect(await cli.exitCode()).toBe(130);
    expectQuiet(cli.screen);
  });

  test('while waiting for the first command, and the spinner is cleared', async () => {
    const cli = start([...suite.server.args(), '--timeout', '60000', 'list', 'files']);
    await cli.waitFor('Asking openai');
    cli.press(CTRL_C);
    expect(await cli.exitCode()).toBe(130);
    expectQuiet(cli.screen);
    // The last spinner frame is erased: nothing is drawn after the line is cleared.
    const raw = cli.rawOutput;
    expect(raw.lastIndexOf('\r\x1b[2K')).toBeGreaterThan(raw.lastIndexOf('Asking openai'));
  });

  test('while the embedded engine generates: the work is stopped, not waited for', async () => {
    // Nine long alternatives would take minutes on the tiny model; Ctrl-C must end it in seconds.
    const cli = start(['--model', requireTinyModel(), '--max-tokens', '2048', '-n', '9', 'list', 'files']);
    await cli.waitFor(/Thinking|Sampling alternative/, 120_000);
    cli.press(CTRL_C);
    expect(await cli.exitCode(30_000)).toBe(130);
    expectQuiet(cli.screen);
  });

  test('at the model download question', async () => {
    const fresh = isolatedEnv({ CMDAI_OFFLINE: '' });
    const cli = start(['list', 'files'], { env: fresh });
    await cli.waitFor('[Y/n]');
    cli.press(CTRL_C);
    expect(await cli.exitCode()).toBe(130);
    expectQuiet(cli.screen);
    const models = path.join(fresh.XDG_CACHE_HOME!, 'cmdai', 'models');
    expect(fs.existsSync(models) ? fs.readdirSync(models) : []).toEqual([]);
  });
});

describe('inside a step it cancels the step and returns to the menu', () => {
  test.each([
    ['the "Type yes" question', ['chmod -R 777 DIR'], '\r', 'Type yes to run it:'],
    ['editing the command', ['echo hello'], 'e', 'edit> '],
    ['typing a revision', ['echo hello'], 'r', 'revise> '],
  ])('%s', async (_name, [command], key, prompt) => {
    const dir = path.join(suite.workDir, 'data');
    fs.mkdirSync(dir);
    const marker = path.join(suite.workDir, 'ran');
    const cli = start(['--shell', 'bash', '--command', `${command.replace('DIR', dir)} && touch ${marker}`]);
    await cli.waitFor(MENU);
    cli.press(key);
    await cli.waitFor(prompt);
    cli.press(CTRL_C);
    await cli.waitForCount(MENU, 2);
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a revision being generated: the original command is kept', async () => {
    const cli = start([...suite.server.args(), '--timeout', '60000', '--shell', 'bash', '--command', 'echo original-command']);
    await cli.waitFor(MENU);
    cli.press('r');
    await cli.waitFor('revise> ');
    cli.press('make it louder\r');
    await cli.waitFor('Revising');
    cli.press(CTRL_C);
    await cli.waitFor('Revising cancelled; the command is unchanged.');
    await cli.waitForCount(MENU, 2);
    cli.press('\r');
    expect(await cli.exitCode()).toBe(0);
    expect(cli.screen).toMatch(/\noriginal-command\n/);
  });

  test('an explanation being generated', async () => {
    const cli = start([...suite.server.args(), '--timeout', '60000', '--shell', 'bash', '--command', 'echo hi']);
    await cli.waitFor(MENU);
    cli.press('x');
    await cli.waitFor('Explaining');
    cli.press(CTRL_C);
    await cli.waitFor('Explaining cancelled');
    await cli.waitForCount(MENU, 2);
    cli.press(CTRL_C);
    expect(await cli.exitCode()).toBe(130);
  });
});
