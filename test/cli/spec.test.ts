// specs/cli.md and `cmdai --help` say the same: the exit-code table, the Ctrl-C rule and the
// subcommand-versus-request rule. The spec quotes the help's words; these tests keep them equal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, isolatedEnv, runCli } from './helpers';

const spec = fs.readFileSync(path.join(__dirname, '..', '..', 'specs', 'cli.md'), 'utf8');
let help: string;

beforeAll(() => {
  ensureBuilt();
  // Wide, so the help's own line breaks do not depend on the terminal.
  help = runCli(['--help'], { env: isolatedEnv() }).stdout;
});

const words = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The indented lines after a heading like "Exit codes:" in the help, up to the next blank line. */
function helpSection(title: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The spec section's body, from its heading to the next heading. */
function specSection(heading: string): string {
  const start = spec.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = spec.slice(start + heading.length);
  const next = rest.search(/\n#{2,3} /);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The block quote (the help's words) in a spec section. */
function quoted(section: string): string {
  return words(section.split('\n').filter((line) => line.startsWith('> ')).map((line) => line.slice(2)).join(' '));
}

test('the exit-code table in the spec is the one --help prints', () => {
  const fromSpec = specSection('## Exit codes')
    .split('\n')
    .map((line) => /^\| (\d+) \| (.+) \|$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${match[1]} ${words(match[2]).replace(/`/g, '')}`);
  const fromHelp = words(helpSection('Exit codes:').join('\n'))
    .split(/ (?=\d+ )/)
    .map((row) => row.replace(/`/g, ''));
  expect(fromSpec.length).toBeGreaterThanOrEqual(8);
  expect(fromHelp).toEqual(fromSpec.map((row) => row.replace(/`/g, '')));
});

test('the Ctrl-C rule in --help is the spec\'s', () => {
  expect(words(helpSection('Ctrl-C:').join(' '))).toBe(quoted(specSection('## Ctrl-C')));
});

test('the subcommand-versus-request rule in --help is the spec\'s', () => {
  expect(words(helpSection('Requests and subcommands:').join(' '))).toBe(quoted(specSection('### Requests and subcommands')));
});
