// The interactive menu in a real pseudo-terminal. `--command` ("review this command") puts a known
// command through the same assess-and-menu flow a generated one takes, so run, edit, cancel and
// blocking can be checked deterministically; revise and streaming use the real engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireTinyModel, useCliSuite } from './helpers';

jest.setTimeout(180_000);

const MENU = '[q] cancel';
const suite = useCliSuite({ workDirPrefix: 'cmdai-menu-' });
const start = suite.start;

test('Enter runs a safe command in the user\'s shell and passes its exit code through', async () => {
  const cli = start(['--shell', 'bash', '--command', 'echo ran-$((6*7)); exit 3']);
  await cli.waitFor('[SAFE]');
  await cli.waitFor('[enter] run');
  cli.press('\r');
  expect(await cli.exitCode()).toBe(3);
  expect(cli.screen).toContain('ran-42');
});

test('edit prefills the command in an editable line, and the edited command runs', async () => {
  const cli = start(['--shell', 'bash', '--command', 'echo hello']);
  await cli.waitFor(MENU);
  cli.press('e');
  await cli.waitFor('edit> echo hello');
  cli.press(' edited-world\r');
  await cli.waitForCount(MENU, 2);
  cli.press('\r');
  expect(await cli.exitCode()).toBe(0);
  expect(cli.screen).toMatch(/\nhello edited-world\n/);
});

test('cancel leaves without running anything and exits with the cancelled code', async () => {
  const marker = path.join(suite.workDir, 'should-not-exist');
  const cli = start(['--shell', 'bash', '--command', `touch ${marker}`]);
  await cli.waitFor(MENU);
  cli.press('q');
  expect(await cli.exitCode()).toBe(5);
  expect(cli.screen).toContain('Cancelled.');
  expect(fs.existsSync(marker)).toBe(false);
});

test('a critical command is blocked under the default policy, with the reason shown', async () => {
  // --dry-run as a second guard: even a regression in blocking could never execute this.
  const cli = start(['--shell', 'bash', '--dry-run', '--command', 'rm -rf /']);
  await cli.waitFor('[CRITICAL]');
  await cli.waitFor('(run blocked)');
  cli.press('\r');
  await cli.waitFor('Blocked:');
  await cli.waitForCount(MENU, 2);
  cli.press('q');
  expect(await cli.exitCode()).toBe(5);
  expect(cli.screen).not.toContain('Dry run: not running');
});

test('a high-risk command runs only after typing yes', async () => {
  const target = path.join(suite.workDir, 'data');
  fs.mkdirSync(target);
  const cli = start(['--shell', 'bash', '--command', `chmod -R 777 ${target} && echo changed-mode`]);
  await cli.waitFor(MENU);
  if (!cli.screen.includes('[HIGH]')) throw new Error(`expected a HIGH rating for chmod -R 777; the screen shows:\n${cli.screen}`);
  cli.press('\r');
  await cli.waitFor('Type yes to run it:');
  cli.press('no\r');
  await cli.waitFor('Not run: only "yes" runs it.');
  await cli.waitForCount(MENU, 2);
  cli.press('\r');
  await cli.waitForCount('Type yes to run it:', 2);
  cli.press('yes\r');
  expect(await cli.exitCode()).toBe(0);
  expect(cli.screen).toContain('changed-mode');
});

test('copy asks the terminal to copy (OSC 52) and does not claim it worked', async () => {
  // No clipboard tool on PATH: only the terminal can be asked, and it cannot confirm.
  const cli = suite.start(['--shell', 'bash', '--command', 'echo copy-me'], { env: { ...suite.env, PATH: path.dirname(process.execPath) + ':/bin:/usr/bin' } });
  await cli.waitFor(MENU);
  cli.press('c');
  await cli.waitFor('Asked the terminal to copy it (OSC 52)');
  expect(cli.screen).not.toContain('Copied');
  expect(cli.rawOutput).toContain(`\x1b]52;c;${Buffer.from('echo copy-me').toString('base64')}\x07`);
  cli.press('q');
  expect(await cli.exitCode()).toBe(5);
});

describe('with the tiny test model on the real engine', () => {
  let model: string;
  beforeAll(() => {
    model = requireTinyModel();
  });

  test('a request streams a command, then shows its explanation, risk and the menu', async () => {
    const cli = start(['--model', model, '--max-tokens', '64', 'list', 'files']);
    await cli.waitFor(MENU, 120_000);
    expect(cli.screen).toMatch(/\[(SAFE|MODERATE|HIGH|CRITICAL)\]/);
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
  });

  test('explain shows the model\'s explanation and returns to the menu', async () => {
    const cli = start(['--model', model, '--max-tokens', '64', '--shell', 'bash', '--command', 'ls -la']);
    await cli.waitFor(MENU);
    cli.press('x');
    await cli.waitForCount(MENU, 2, 120_000);
    expect(cli.screen).not.toContain('Failed:');
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
  });

  test('a number key swaps in one of the -n alternatives', async () => {
    const cli = start(['--model', model, '--max-tokens', '64', '-n', '1', 'show', 'disk', 'usage']);
    await cli.waitFor('[1] alternative', 120_000);
    const badges = cli.count('] risk') + cli.count('] no risky');
    cli.press('1');
    await cli.waitForCount('[1] alternative', 2);
    expect(cli.count('] risk') + cli.count('] no risky')).toBe(badges + 1);
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
  });

  test('revise asks for a refinement and regenerates with the conversation so far', async () => {
    const cli = start(['--model', model, '--max-tokens', '64', '--shell', 'bash', '--command', 'echo hello']);
    await cli.waitFor(MENU);
    cli.press('r');
    await cli.waitFor('revise> ');
    cli.press('make it print goodbye instead\r');
    await cli.waitForCount(MENU, 2, 120_000);
    expect(cli.screen).not.toContain('Failed:');
    // Two risk badges: the reviewed command's and the revised one's.
    expect(cli.screen.match(/\[(SAFE|MODERATE|HIGH|CRITICAL)\]/g)?.length).toBeGreaterThanOrEqual(2);
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
  });
});
