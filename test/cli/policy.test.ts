// What no flag or policy can change: --yes never approves a critical command, and the menu's
// confirmation question runs a command only for the exact word it asks for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PtySession, runCli, useCliSuite } from './helpers';

jest.setTimeout(120_000);

const suite = useCliSuite({ workDirPrefix: 'cmdai-policy-' });

describe('--yes never approves a critical command', () => {
  test.each(['strict', 'moderate', 'permissive'])('under --safety %s, even with --dry-run it says it would not run', (policy) => {
    const run = runCli(['--shell', 'bash', '--safety', policy, '--yes', '--dry-run', '--command', 'rm -rf /'], { env: suite.env });
    expect(run.status).toBe(3);
    expect(run.stderr).not.toContain('would run it');
  });

  test('under --safety permissive a critical command is printed but not run', () => {
    // Formatting a device that does not exist is rated critical and harmless if it ever ran;
    // the marker file shows whether the shell was started at all.
    const marker = path.join(suite.workDir, 'ran');
    const command = `touch ${marker}; mkfs.ext4 ${path.join(suite.workDir, 'no-such-device')}`;
    const check = runCli(['check', '--safety', 'permissive', command], { env: suite.env });
    expect(check.stdout).toMatch(/^critical/);
    const run = runCli(['--shell', 'bash', '--safety', 'permissive', '--yes', '--command', command], { env: suite.env });
    expect(run.status).toBe(3);
    expect(run.stdout).toBe(command + '\n');
    expect(run.stderr).toContain('--yes never approves a critical command');
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a high-risk command still runs with --yes (that is what --yes is for)', () => {
    const target = path.join(suite.workDir, 'data');
    fs.mkdirSync(target);
    const run = runCli(['--shell', 'bash', '--yes', '--command', `chmod -R 777 ${target} && echo changed`], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('changed');
  });

  test('--help says so', () => {
    const help = runCli(['--help'], { env: suite.env }).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('never a critical command, under any --safety policy');
  });
});

describe('the confirmation question (real terminal)', () => {
  async function highRiskMenu(): Promise<{ cli: PtySession; marker: string }> {
    const target = path.join(suite.workDir, 'data');
    fs.mkdirSync(target);
    const marker = path.join(suite.workDir, 'ran');
    const cli = suite.start(['--shell', 'bash', '--command', `chmod -R 777 ${target} && touch ${marker}`]);
    await cli.waitFor('[q] cancel');
    expect(cli.screen).toContain('[HIGH]');
    return { cli, marker };
  }

  test.each(['y', 'YES', 'Yes', 'yes please'])('"%s" is not the word asked for: nothing runs', async (answer) => {
    const { cli, marker } = await highRiskMenu();
    cli.press('\r');
    await cli.waitFor('Type yes to run it:');
    cli.press(`${answer}\r`);
    await cli.waitFor('Not run: only "yes" runs it.');
    await cli.waitForCount('[q] cancel', 2);
    expect(fs.existsSync(marker)).toBe(false);
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('"yes" runs it, after a line saying it is running', async () => {
    const { cli, marker } = await highRiskMenu();
    cli.press('\r');
    await cli.waitFor('Type yes to run it:');
    cli.press('yes\r');
    expect(await cli.exitCode()).toBe(0);
    expect(cli.screen).toContain('Running it with bash...');
    expect(fs.existsSync(marker)).toBe(true);
  });
});
