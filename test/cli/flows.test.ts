// The CLI as a demanding user meets it (issue 16): stdin for check, explain without a model,
// commands that start with "-", one exit-code table, flag ranges, a silent server, the output
// modes, and the help text. Real processes; a real HTTP server on 127.0.0.1 where a model answers.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { expectNoStackTrace, FakeOpenAIServer, runCli, runCliAsync, useCliSuite } from './helpers';

jest.setTimeout(120_000);

const suite = useCliSuite({ server: true, workDirPrefix: 'cmdai-flows-' });

describe('check reads the command from stdin when no words are given', () => {
  test('a critical command piped in is blocked (exit 3)', () => {
    const run = runCli(['check'], { env: suite.env, input: 'rm -rf /\n' });
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/^critical: blocked/);
  });

  test('the same with options, through the full parser', () => {
    const run = runCli(['check', '--json', '--safety', 'strict'], { env: suite.env, input: 'ls -la' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'ls -la', level: 'safe', policy: 'strict' });
  });

  test('empty stdin is a usage error that says how to give a command', () => {
    const run = runCli(['check'], { env: suite.env, input: '  \n' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('There is no command to check: stdin was empty.');
  });
});

describe('explain without a model', () => {
  test('shows the risk rating, then says the explanation needs a model (exit 4)', () => {
    const run = runCli(['explain', 'rm -rf /'], { env: { ...suite.env, CMDAI_MODELS_DIR: path.join(suite.workDir, 'models') } });
    expect(run.status).toBe(4);
    expect(run.stdout).toMatch(/^Risk: critical\n {2}- Recursively deletes/);
    expect(run.stderr).toMatch(/^cmdai: The explanation needs a model/);
    expectNoStackTrace(run.stderr);
  });

  test('with a model, the explanation follows the rating', async () => {
    suite.server.reply = { command: 'unused', explanation: 'Lists the files with details.' } as typeof suite.server.reply;
    const run = await runCliAsync(['explain', ...suite.server.args(), 'ls', '-la'], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Risk: safe\n/);
    expect(suite.server.lastUserMessage()).toContain('ls -la');
  });
});

describe('a command that starts with "-" reaches the shell as a command, never as its options', () => {
  test.each(['bash', 'sh', 'dash', 'zsh', 'fish'])('%s', (shell) => {
    const available = fs.existsSync(`/usr/bin/${shell}`) || fs.existsSync(`/bin/${shell}`);
    if (!available) return;
    const run = runCli(['--shell', shell, '--yes', '--command', '-x echo hi'], { env: suite.env });
    // The shell looks for a program called "-x" (127), rather than printing its usage (2) or tracing.
    expect(run.status).toBe(127);
    expect(run.stdout).toBe('-x echo hi\n');
  });
});

describe('one exit-code table', () => {
  test('an unknown model name is a usage error (2) that lists the known ones', () => {
    const run = runCli(['--model', 'no-such-model', 'list files'], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('There is no model named "no-such-model"');
  });

  test('an endpoint that is not that kind of server (404) is "backend unavailable" (4)', async () => {
    const notFound = http.createServer((req, res) => {
      res.statusCode = 404;
      res.end('not here');
    });
    await new Promise<void>((resolve) => notFound.listen(0, '127.0.0.1', resolve));
    try {
      const port = (notFound.address() as AddressInfo).port;
      const run = await runCliAsync(['--backend', 'ollama', '--endpoint', `http://127.0.0.1:${port}`, '--retries', '0', '--print', 'list files'], { env: suite.env });
      expect(run.status).toBe(4);
      expect(run.stderr).toContain('404');
      expectNoStackTrace(run.stderr);
    } finally {
      notFound.close();
    }
  });

  test('--help lists check\'s 6 with the others', () => {
    const help = runCli(['--help'], { env: suite.env }).stdout;
    for (const code of ['0', '1', '2', '3', '4', '5', '6', '130']) expect(help).toMatch(new RegExp(`\\n  ${code} +\\S`));
  });
});

describe('numeric flags are checked up front, by the name the user typed', () => {
  test.each([
    [['--max-tokens', '0'], '--max-tokens must be a whole number from 48 to 2048, not 0'],
    [['--max-tokens', '100000'], '--max-tokens must be a whole number from 48 to 2048, not 100000'],
    [['-n', '100'], '-n/--alternatives must be a whole number from 0 to 9, not 100'],
    [['--timeout', '0'], '--timeout must be a whole number from 1 to 3600000, not 0'],
    [['--retries', '-1'], '--retries must be a whole number from 0 to 10, not -1'],
  ])('%j', (flags, message) => {
    const run = runCli([...flags, 'list files'], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/maxTokens|Try a shorter request/);
  });

  test('explain checks the same range', () => {
    const run = runCli(['explain', '--max-tokens', '1', 'ls'], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--max-tokens must be a whole number from 48 to 2048, not 1');
  });

  test('--help states the --max-tokens range', () => {
    expect(runCli(['--help'], { env: suite.env }).stdout).toContain('48 to 2048');
  });
});

test('a server that accepts the connection and never answers: stderr says what is awaited, even when piped', async () => {
  const silent = await new FakeOpenAIServer().start();
  silent.silent = true;
  try {
    const run = await runCliAsync([...silent.args(), '--timeout', '8000', '--retries', '0', '--print', 'list files'], { env: suite.env });
    expect(run.stderr).toMatch(new RegExp(`cmdai: waiting for openai at ${silent.endpoint.replace(/[.]/g, '\\.')} to answer \\(gives up after 8 s`));
    expect(run.status).toBe(4);
  } finally {
    await silent.stop();
  }
});

describe('output modes', () => {
  test('--json with --print is refused rather than one silently winning', () => {
    const run = runCli(['--json', '--print', '--command', 'ls'], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--json and --print');
  });

  test('piped -n: stdout is the command alone, each alternative goes to stderr with its risk', async () => {
    suite.server.queue = [
      { command: 'du -sh .', explanation: 'Shows the size.' },
      { command: 'du -sh *', explanation: 'Sizes of each entry.' },
      { command: 'rm -rf ~', explanation: 'Not what was asked.' },
    ];
    const run = await runCliAsync([...suite.server.args(), '-n', '2', 'show disk usage'], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('du -sh .\n');
    expect(run.stderr).toContain('cmdai: alternative 1 [safe]: du -sh *\n');
    expect(run.stderr).toContain('cmdai: alternative 2 [critical]: rm -rf ~\n');
  });

  test('fewer alternatives than asked is said, not silent', async () => {
    suite.server.queue = [];
    suite.server.reply = { command: 'du -sh .', explanation: 'Shows the size.' };
    const run = await runCliAsync([...suite.server.args(), '-n', '2', 'show disk usage'], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('du -sh .\n');
    expect(run.stderr).toContain('cmdai: 0 of 2 alternatives found');
  });
});

describe('help and version', () => {
  test.each(['-V', '-v', '--version'])('%s prints the version', (flag) => {
    const run = runCli([flag], { env: suite.env });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(require('../../package.json').version);
  });

  test('--help documents -V and -v, and the default command line is not run together with its tag', () => {
    const help = runCli(['--help'], { env: suite.env }).stdout;
    expect(help).toMatch(/-V, -v, --version/);
    expect(help).not.toMatch(/\S\[default\]/);
  });
});

describe('[openai] server_kind in the config file', () => {
  const chatBody = () => suite.server.requests.filter((r) => r.url === '/v1/chat/completions').at(-1)!.body;

  test.each([
    ['vllm', true],
    ['generic', false],
  ])('%s: vLLM\'s own structured-output parameter is sent: %s', async (kind, vllm) => {
    const file = path.join(suite.workDir, 'config.toml');
    fs.writeFileSync(file, `[openai]\nserver_kind = "${kind}"\n`);
    suite.server.queue = [];
    suite.server.reply = { command: 'ls', explanation: 'Lists.' };
    const run = await runCliAsync([...suite.server.args(), '--config', file, '--print', 'list files'], { env: suite.env });
    expect(run.status).toBe(0);
    const body = JSON.parse(chatBody());
    expect(body.response_format).toBeDefined();
    expect('structured_outputs' in body || 'guided_json' in body).toBe(vllm);
  });

  test('a value it does not know is refused with the accepted ones', () => {
    const run = runCli(['config', 'set', 'openai.server_kind', 'llamafile', '--config', path.join(suite.workDir, 'c.toml')], { env: suite.env });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('one of auto, vllm, generic');
  });
});
