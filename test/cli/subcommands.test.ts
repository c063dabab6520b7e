// The subcommand-versus-request rule (specs/cli.md), for every subcommand in the table: words
// that fit a subcommand run it; words that do not are the request, with a note on stderr.
import { routeArguments, SUBCOMMANDS, Subcommand } from '../../lib/cli/subcommands';
import { expectNoStackTrace, runCli, runCliAsync, useCliSuite } from './helpers';

jest.setTimeout(120_000);

const suite = useCliSuite({ server: true });

/** Words that fit each kind of subcommand. */
function fittingWords(entry: Subcommand): string[][] {
  switch (entry.takes.kind) {
    case 'none':
      return [[], ['--json']];
    case 'choice':
      return [[], ...entry.takes.choices.map((choice) => [choice])];
    case 'command':
      return [[], ['rm -rf build'], ['ls', '-la'], ['--', 'zzq', 'not', 'a', 'program']];
  }
}

const onlyLs = (word: string) => word === 'ls';

describe.each(SUBCOMMANDS.map((entry) => [entry.name, entry] as const))('%s', (name, entry) => {
  test('runs when the words after it fit its arguments', () => {
    for (const words of fittingWords(entry)) {
      expect(routeArguments([name, ...words], onlyLs).subcommand).toBe(entry);
      expect(routeArguments(['--verbose', name, ...words], onlyLs).subcommand).toBe(entry);
    }
  });

  test('--help after it is always its help', () => {
    expect(routeArguments([name, 'zzq', 'words', '--help'], onlyLs).subcommand).toBe(entry);
  });

  test('words that do not fit are the request, with a note naming what the subcommand takes', () => {
    const route = routeArguments(['--model', 'x', name, 'zzq', 'is', 'not', 'an', 'argument'], onlyLs);
    expect(route.subcommand).toBeUndefined();
    expect(route.requestNote).toMatch(new RegExp(`\`cmdai ${name}\` takes`));
  });

  test('with the real CLI, a request starting with its name reaches the model whole', async () => {
    const run = await runCliAsync([...suite.server.args(), '--print', name, 'zzq', 'words', 'for', 'the', 'model'], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('echo from-the-fake-server\n');
    expect(run.stderr).toContain('taking the words as a request');
    expect(suite.server.lastUserMessage()).toContain(`${name} zzq words for the model`);
    expectNoStackTrace(run.stderr);
  });
});

test('the issue\'s examples: "check disk usage of home" and "--model X init a new git repo here" are requests', async () => {
  const check = await runCliAsync([...suite.server.args(), '--print', 'check', 'disk', 'usage', 'of', 'home'], { env: suite.env });
  expect(check.status).toBe(0);
  expect(suite.server.lastUserMessage()).toContain('check disk usage of home');
  const init = await runCliAsync([...suite.server.args(), '--model', 'some-model', '--print', 'init', 'a', 'new', 'git', 'repo', 'here'], { env: suite.env });
  expect(init.status).toBe(0);
  expect(init.stderr).not.toMatch(/Unknown argument/);
  expect(suite.server.lastUserMessage()).toContain('init a new git repo here');
});

test('a quoted request, or one after --, is a request without a note', async () => {
  for (const args of [['check disk usage of home'], ['--', 'init', 'bash']]) {
    const run = await runCliAsync([...suite.server.args(), '--print', ...args], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(suite.server.lastUserMessage()).toContain(args.filter((word) => word !== '--').join(' '));
  }
});

describe.each(SUBCOMMANDS.filter((entry) => entry.takes.kind === 'choice').map((entry) => [entry.name] as const))('%s with one wrong word', (name) => {
  test('is that subcommand\'s usage error, with how to send the words as a request instead', () => {
    const run = runCli([name, 'zzq'], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cmdai ${name} --help`);
    expect(run.stderr).toContain(`quote the words to make them a request: cmdai "${name} zzq"`);
    expect(run.stderr).not.toContain('taking the words as a request');
  });
});

test('an unquoted command starting with a program is checked, not sent to a model', () => {
  const run = runCli(['check', 'rm', '-rf', '/'], { env: suite.env });
  expect(run.status).toBe(3);
  expect(run.stdout).toMatch(/^critical/);
});

test('an option a subcommand does not have is named as typed, without internal names', () => {
  const run = runCli(['init', 'bash', '--max-tokens', '5'], { env: suite.env });
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('Unknown argument: --max-tokens');
  expect(run.stderr).toContain('cmdai init --help');
  expect(run.stderr).not.toMatch(/maxTokens/);
});
