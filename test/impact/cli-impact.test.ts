// The impact preview where users see it: `cmdai check` (text and --json), and `--json` / `--dry-run`
// for a reviewed command. Real CLI, real temporary trees.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, expectNoStackTrace, isolatedEnv, runCli } from '../cli/helpers';

jest.setTimeout(180_000);

let root: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-cli-impact-'));
  env = isolatedEnv();
  fs.mkdirSync(path.join(root, 'build', 'out'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'a.o'), Buffer.alloc(1500));
  fs.writeFileSync(path.join(root, 'build', 'out', 'app'), Buffer.alloc(30_000));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('cmdai check shows what the command would delete, under the verdict', () => {
  const run = runCli(['check', 'rm -rf build'], { env, cwd: root });
  expectNoStackTrace(run.stderr);
  expect(run.stdout).toMatch(/Impact: would delete 2 files in 2 directories \(32 KB\); largest: build\/out\/app \(30 KB\)/);
});

test('cmdai check --json has the impact field, null for a command that touches nothing', () => {
  const json = JSON.parse(runCli(['check', '--json', 'rm -rf build'], { env, cwd: root }).stdout);
  expect(json.impact).toMatchObject({ files: 2, directories: 2, bytes: 31_500, complete: true, operations: ['delete'] });
  expect(json.impact.largest[0]).toEqual({ path: path.join(root, 'build', 'out', 'app'), bytes: 30_000 });
  expect(JSON.parse(runCli(['check', '--json', 'ls -la'], { env, cwd: root }).stdout).impact).toBeNull();
});

test('--json and --dry-run for a command under review carry the preview, and nothing is deleted', () => {
  const json = JSON.parse(runCli(['--json', '--command', 'rm -rf build'], { env, cwd: root }).stdout);
  expect(json.impact).toMatchObject({ files: 2, bytes: 31_500 });
  const dry = runCli(['--print', '--dry-run', '--yes', '--command', 'rm -rf build'], { env, cwd: root });
  expect(dry.stderr).toMatch(/dry run: Impact: would delete 2 files in 2 directories/);
  expect(fs.existsSync(path.join(root, 'build', 'out', 'app'))).toBe(true);
});
