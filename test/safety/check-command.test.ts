// `cmdai check`: the real CLI process, in an isolated home. Exit codes are the interface scripts use.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBuilt, expectNoStackTrace, isolatedEnv, repoRoot, runCli } from '../cli/helpers';

jest.setTimeout(120_000);

let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ensureBuilt();
  env = isolatedEnv();
});

const check = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(['check', ...args], { env: { ...env, ...extraEnv } });

test('an allowed command exits 0 and says why it is fine', () => {
  const run = check(['ls -la']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('safe: allowed under the moderate policy');
});

test('a command that needs confirmation exits 6 and shows the reason under the command', () => {
  const run = check(['git reset --hard']);
  expect(run.status).toBe(6);
  expect(run.stdout).toContain('git.reset-hard');
  expect(run.stdout).toContain('^^^^');
});

test('a blocked command exits 3', () => {
  expect(check(['rm -rf /']).status).toBe(3);
});

test('an unquoted command, flags included, is checked as written', () => {
  const run = check(['rm', '-rf', '/']);
  expect(run.status).toBe(3);
  expect(run.stdout).toContain('"/"');
});

test('words after -- are the command', () => {
  expect(check(['--', 'rm', '-rf', '/tmp/cache']).status).toBe(0);
});

test('--json prints the assessment', () => {
  const run = check(['--json', 'sudo rm -rf ~']);
  expect(run.status).toBe(3);
  expect(JSON.parse(run.stdout)).toEqual({
    command: 'sudo rm -rf ~',
    shell: 'bash',
    level: 'critical',
    decision: 'blocked',
    policy: 'moderate',
    reasons: [{ rule: 'fs.rm-recursive-critical', level: 'critical', message: expect.any(String), span: { start: 12, end: 13 } }],
    effects: [
      {
        kind: 'delete',
        op: 'delete',
        scope: 'recursive',
        elevated: true,
        level: 'critical',
        rule: 'fs.rm-recursive-critical',
        span: { start: 12, end: 13 },
        target: { type: 'path', value: env.HOME, pathClass: 'home' },
      },
    ],
    // What it would delete there, counted without running it (specs/features.md).
    impact: expect.objectContaining({ operations: ['delete'] }),
  });
});

test('relative paths are judged in the directory check runs in, against the real home', () => {
  const project = path.join(env.HOME!, 'project');
  fs.mkdirSync(project, { recursive: true });
  expect(runCli(['check', 'rm -rf ..'], { env, cwd: project }).status).toBe(3); // the home directory: blocked
  expect(runCli(['check', 'rm -rf ../..'], { env, cwd: '/usr/local/share' }).status).toBe(3); // /usr: blocked
  expect(runCli(['check', 'rm -rf ./old'], { env, cwd: project }).status).toBe(6); // a folder of the project
});

test('--safety changes the verdict: strict blocks high', () => {
  expect(check(['--safety', 'strict', 'git reset --hard']).status).toBe(3);
  expect(check(['--safety', 'permissive', 'git reset --hard']).status).toBe(0);
});

test('--shell selects the PowerShell reader', () => {
  const run = check(['--shell', 'pwsh', '--json', 'Remove-Item -Recurse -Force C:\\Windows']);
  expect(JSON.parse(run.stdout)).toMatchObject({ shell: 'pwsh', level: 'critical' });
});

test('the policy and the allow/deny rules come from the config file', () => {
  const file = path.join(env.HOME!, 'check-config.toml');
  fs.writeFileSync(file, '[safety]\npolicy = "strict"\nallow = ["rm -rf ./build"]\ndeny = ["npm publish"]\n');
  expect(check(['--config', file, 'rm -rf ./build']).status).toBe(0);
  expect(check(['--config', file, 'npm publish --tag next']).status).toBe(3);
  expect(check(['--config', file, 'rm notes.txt']).status).toBe(6); // moderate under strict
});

test('no command is a usage error with a hint, not a stack trace', () => {
  const run = check([]);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('There is no command to check');
  expectNoStackTrace(run.stderr);
});

test('a command of 100 KB is rated high, not a crash', () => {
  const run = check(['echo ' + 'x'.repeat(100_000)]);
  expect(run.status).toBe(6);
  expect(run.stdout).toContain('longer than 64 KiB');
  expectNoStackTrace(run.stdout + run.stderr);
});

test('check loads neither the engine, the backends nor the HTTP client', () => {
  const probe = `
    require('yargs/yargs')(['check', 'ls']).command(require('./dist/cli/commands/check').default).parse();
    const loaded = Object.keys(require.cache).map((f) => f.slice(${JSON.stringify(repoRoot.length)}));
    process.stderr.write(JSON.stringify(loaded));`;
  const run = spawnSync(process.execPath, ['-e', probe], { cwd: repoRoot, env, encoding: 'utf8' });
  const loaded = JSON.parse(run.stderr) as string[];
  // dist/engine/types.js holds only the engine names (config validates them): no binding, no I/O.
  const heavy = loaded.filter(
    (f) => (/\/dist\/(engine|backends|generate|prompt|models)\//.test(f) && !f.endsWith('/dist/engine/types.js')) || f.includes('/node_modules/got/') || (f.endsWith('.node') && !/tree[-_]sitter/.test(f)),
  );
  expect(heavy).toEqual([]);
  expect(loaded.some((f) => f.includes('/dist/safety/'))).toBe(true);
});
