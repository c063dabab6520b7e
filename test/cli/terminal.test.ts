// The menu and check output in a real terminal: narrow widths, --dry-run, and moving between
// alternatives. A local OpenAI-compatible server supplies known commands, so what is shown is known.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useCliSuite } from './helpers';

jest.setTimeout(120_000);

const MENU = '[q] cancel';
const suite = useCliSuite({ server: true, workDirPrefix: 'cmdai-term-' });
const start = suite.start;

/** Every line fits the width, and no word is cut: each line break falls between words. */
function expectWrapped(screen: string, columns: number, text: string): void {
  const lines = screen.split('\n');
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
  const words = text.split(' ');
  const shown = screen.replace(/\s+/g, ' ');
  expect(shown).toContain(words.join(' '));
}

describe('at 50 columns', () => {
  const columns = 50;

  test('check wraps each reason at word boundaries with a hanging indent', async () => {
    const cli = start(['check', 'rm -rf /'], { columns });
    expect(await cli.exitCode()).toBe(3);
    const lines = cli.screen.split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) expect(line.length).toBeLessThan(columns);
    // The reason's continuation lines are indented under its first word.
    const reason = lines.findIndex((line) => line.startsWith('  critical '));
    expect(lines[reason + 1]).toMatch(/^ {11}\S/);
    // No word is split across lines.
    expect(cli.screen.replace(/\s+/g, ' ')).toContain('Recursively deletes "/" (the root of the filesystem)');
  });

  test('the menu: risk reasons wrap with a hanging indent and the key line wraps between keys, indented', async () => {
    const target = path.join(suite.workDir, 'data');
    fs.mkdirSync(target);
    const cli = start(['--shell', 'bash', '--command', `chmod -R 777 ${target}`], { columns });
    await cli.waitFor(MENU);
    const lines = cli.screen.split('\n');
    for (const line of lines) expect(line.trimEnd().length).toBeLessThan(columns);
    const keyLines = lines.filter((line) => /\[(enter|e|r|x|c|q)\]/.test(line));
    expect(keyLines.length).toBeGreaterThan(1);
    for (const line of keyLines) expect(line).toMatch(/^ {2}\[/);
    const reason = lines.findIndex((line) => line.startsWith('    - '));
    expect(lines[reason + 1]).toMatch(/^ {6}\S/);
    expectWrapped(cli.screen, columns, 'writable by every user');
    cli.press('q');
    expect(await cli.exitCode()).toBe(5);
  });
});

test('under --dry-run the menu offers a dry run, not a run', async () => {
  const marker = path.join(suite.workDir, 'ran');
  const cli = start(['--shell', 'bash', '--dry-run', '--command', `touch ${marker}`]);
  await cli.waitFor(MENU);
  expect(cli.screen).toContain('[enter] dry run');
  cli.press('\r');
  expect(await cli.exitCode()).toBe(0);
  expect(cli.screen).toContain('Dry run: not running');
  expect(fs.existsSync(marker)).toBe(false);
});

test('choosing an alternative lists the others with their keys, and the same key brings the first back', async () => {
  suite.server.queue = [
    { command: 'echo first-choice', explanation: 'One.' },
    { command: 'echo second-choice', explanation: 'Two.' },
    { command: 'echo third-choice', explanation: 'Three.' },
  ];
  const cli = start([...suite.server.args(), '--shell', 'bash', '-n', '2', 'say', 'something']);
  await cli.waitFor('[1-2] alternative');
  expect(cli.screen).toContain('[1] echo second-choice');
  expect(cli.screen).toContain('[2] echo third-choice');
  cli.press('2');
  await cli.waitForCount(MENU, 2);
  expect(cli.screen).toContain('[2] echo first-choice');
  cli.press('2');
  await cli.waitForCount(MENU, 3);
  cli.press('\r');
  expect(await cli.exitCode()).toBe(0);
  expect(cli.screen).toMatch(/\nfirst-choice\n/);
});

test('-n shows which alternative is being sampled', async () => {
  suite.server.queue = [
    { command: 'echo a', explanation: 'A.' },
    { command: 'echo b', explanation: 'B.' },
  ];
  const cli = start([...suite.server.args(), '--shell', 'bash', '-n', '1', 'say', 'something']);
  await cli.waitFor(MENU);
  expect(cli.screen).toContain('Sampling alternative 1 of 1');
  cli.press('q');
  expect(await cli.exitCode()).toBe(5);
});
