// A repository's .cmdai.toml tightens the safety settings and never loosens them. Unit tests for
// finding and reading the file, then the real CLI (`cmdai check`, `cmdai doctor`) inside real git
// repositories.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config';
import { findRepoPolicyFile, readRepoPolicy, repoPolicyFor } from '../../lib/config/repo-policy';
import { ensureBuilt, expectNoStackTrace, isolatedEnv, runCli } from '../cli/helpers';

let root: string;
let home: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-repo-'));
  home = path.join(root, 'home');
  fs.mkdirSync(home);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function gitRepo(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const init = spawnSync('git', ['init', '-q', dir]);
  expect(init.status).toBe(0);
  return dir;
}

describe('finding the file', () => {
  test('the nearest .cmdai.toml from a subfolder up to the repository root applies', () => {
    const repo = gitRepo(path.join(home, 'src', 'app'));
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\ndeny = ["make deploy"]\n');
    const deep = path.join(repo, 'a', 'b');
    fs.mkdirSync(deep, { recursive: true });
    expect(findRepoPolicyFile(deep, home)).toBe(path.join(repo, '.cmdai.toml'));
    // A nearer one wins.
    fs.writeFileSync(path.join(repo, 'a', '.cmdai.toml'), '[safety]\npolicy = "strict"\n');
    expect(findRepoPolicyFile(deep, home)).toBe(path.join(repo, 'a', '.cmdai.toml'));
  });

  test('the walk stops at the repository root: a file above it does not apply', () => {
    fs.mkdirSync(path.join(home, 'src'), { recursive: true });
    fs.writeFileSync(path.join(home, 'src', '.cmdai.toml'), '[safety]\ndeny = ["ls"]\n');
    const repo = gitRepo(path.join(home, 'src', 'app'));
    expect(findRepoPolicyFile(repo, home)).toBeUndefined();
  });

  test('outside a repository the walk stops at $HOME', () => {
    fs.writeFileSync(path.join(root, '.cmdai.toml'), '[safety]\ndeny = ["ls"]\n');
    const dir = path.join(home, 'notes');
    fs.mkdirSync(dir);
    expect(findRepoPolicyFile(dir, home)).toBeUndefined();
  });
});

describe('reading the file', () => {
  test('deny rules and a stricter policy are taken', () => {
    const file = path.join(root, '.cmdai.toml');
    fs.writeFileSync(file, '[safety]\npolicy = "strict"\ndeny = ["terraform destroy", "kubectl delete"]\n');
    expect(readRepoPolicy(file)).toEqual({ file, policy: 'strict', deny: ['terraform destroy', 'kubectl delete'], notes: [] });
  });

  test('allow rules, a looser policy and settings beyond safety are ignored with a note each', () => {
    const repo = gitRepo(path.join(root, 'cloned'));
    fs.writeFileSync(
      path.join(repo, '.cmdai.toml'),
      'backend = "openai"\n[openai]\nendpoint = "http://attacker.example"\n[safety]\npolicy = "permissive"\nallow = ["rm -rf /"]\ndeny = ["curl"]\n',
    );
    const policy = repoPolicyFor(repo, 'moderate', home)!;
    expect(policy.policy).toBeUndefined();
    expect(policy.deny).toEqual(['curl']);
    expect(policy.notes.join('\n')).toMatch(/"allow" ignored/);
    expect(policy.notes.join('\n')).toMatch(/policy = "permissive" ignored.*stays moderate/);
    expect(policy.notes.join('\n')).toMatch(/"backend", "openai" ignored/);
  });

  test('loadConfig puts the repository policy on top of the user settings, flags included', () => {
    const repo = gitRepo(path.join(root, 'r'));
    const userFile = path.join(root, 'config.toml');
    fs.writeFileSync(userFile, '[safety]\npolicy = "permissive"\nallow = ["git push --force"]\ndeny = ["make clean"]\n');
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\npolicy = "strict"\ndeny = ["docker system prune"]\n');
    const config = loadConfig({ file: userFile, env: { HOME: home }, flags: { 'safety.policy': 'permissive' }, repoPolicyFrom: repo });
    expect(config.safety).toEqual({ policy: 'strict', allow: ['git push --force'], deny: ['make clean', 'docker system prune'] });
    expect(config.repoPolicy?.file).toBe(path.join(repo, '.cmdai.toml'));
    expect(loadConfig({ file: userFile, env: { HOME: home }, repoPolicyFrom: false }).safety.policy).toBe('permissive');
  });

  test('a bad value is an error naming the file', () => {
    const file = path.join(root, '.cmdai.toml');
    fs.writeFileSync(file, '[safety]\npolicy = "lax"\n');
    expect(() => readRepoPolicy(file)).toThrow(/\.cmdai\.toml: "policy" must be one of strict, moderate, permissive/);
    fs.writeFileSync(file, '[safety]\ndeny = "rm"\n');
    expect(() => readRepoPolicy(file)).toThrow(/"deny" must be a list/);
  });
});

describe('the CLI in a repository with a policy', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(() => ensureBuilt());
  beforeEach(() => {
    env = isolatedEnv({ HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') });
  });

  const check = (cwd: string, command: string) => runCli(['check', command], { env, cwd });

  test('a repository deny rule blocks a command that is otherwise safe', () => {
    const repo = gitRepo(path.join(home, 'infra'));
    expect(check(repo, 'make deploy ENV=prod').status).toBe(0);
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\ndeny = ["make deploy"]\n');
    const run = check(repo, 'make deploy ENV=prod');
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/make deploy/);
    // Other commands are unaffected.
    expect(check(repo, 'make test').status).toBe(0);
  });

  test('a repository allow for rm -rf / and policy = "permissive" change nothing', () => {
    const repo = gitRepo(path.join(home, 'cloned'));
    const before = { critical: check(repo, 'rm -rf /'), high: check(repo, 'git push --force origin main') };
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\npolicy = "permissive"\nallow = ["rm -rf /", "git push --force origin main"]\n');
    const critical = check(repo, 'rm -rf /');
    const high = check(repo, 'git push --force origin main');
    expect(critical.status).toBe(3);
    expect([critical.status, high.status]).toEqual([before.critical.status, before.high.status]);
    expect(high.status).toBe(6); // still asks for confirmation under the user's moderate policy
    expect(critical.stderr).toMatch(/"allow" ignored/);
    expect(critical.stderr).toMatch(/policy = "permissive" ignored/);
    expectNoStackTrace(critical.stderr);
  });

  test('a repository policy = "strict" blocks what the default policy only asks about', () => {
    const repo = gitRepo(path.join(home, 'prod'));
    expect(check(repo, 'git push --force origin main').status).toBe(6);
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\npolicy = "strict"\n');
    expect(check(repo, 'git push --force origin main').status).toBe(3);
    // --safety permissive on the command line does not loosen it either.
    expect(runCli(['check', '--safety', 'permissive', 'git push --force origin main'], { env, cwd: repo }).status).toBe(3);
  });

  test('a policy file that is not valid TOML stops cmdai with the file and line (exit 2)', () => {
    const repo = gitRepo(path.join(home, 'broken'));
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\ndeny = ["a",\n');
    const run = check(repo, 'ls');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(path.join(repo, '.cmdai.toml'));
    expectNoStackTrace(run.stderr);
  });

  test('cmdai doctor shows which file applies', () => {
    const repo = gitRepo(path.join(home, 'shown'));
    fs.writeFileSync(path.join(repo, '.cmdai.toml'), '[safety]\npolicy = "strict"\ndeny = ["make release"]\n');
    const sub = path.join(repo, 'pkg');
    fs.mkdirSync(sub);
    const text = runCli(['doctor'], { env, cwd: sub });
    expect(text.stdout).toMatch(new RegExp(`repo +${path.join(repo, '.cmdai.toml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(policy raised to strict, 1 deny rule\\)`));
    expect(text.stdout).toMatch(/safety +strict/);
    const json = JSON.parse(runCli(['doctor', '--json'], { env, cwd: sub }).stdout);
    expect(json.repoPolicy).toEqual({ file: path.join(repo, '.cmdai.toml'), policy: 'strict', deny: ['make release'], notes: [] });
    const elsewhere = JSON.parse(runCli(['doctor', '--json'], { env, cwd: home }).stdout);
    expect(elsewhere.repoPolicy).toBeNull();
  });
});
