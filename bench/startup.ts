// How fast the CLI starts when it has nothing heavy to do: `cmdai --version`, `cmdai --help` and
// `cmdai check "ls"`, against `node -e 0` measured in the same run (interleaved, so machine load
// hits all of them alike). Target: --version and check within 1.6x of `node -e 0` (medians).
// Also lists which heavy modules each command loaded (it should be none).
//
//   npm run bench -- startup [--runs 25]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'cmdai') return dir;
  }
  throw new Error('cannot find the cmdai package root');
}

const repoRoot = findRepoRoot(__dirname);
const cli = path.join(repoRoot, 'bin', 'cmdai.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 25;
const LIMIT = 1.6;

/** Module paths that must not load on the fast paths. */
const HEAVY = ['node_modules/got/', 'engine/binding', 'engine/index', 'cmdai.node', 'dist/generate', 'backends/embedded'];

const cases: { name: string; args: string[]; limited: boolean }[] = [
  { name: 'node -e 0', args: ['-e', '0'], limited: false },
  { name: 'cmdai --version', args: [cli, '--version'], limited: true },
  { name: 'cmdai check "ls"', args: [cli, 'check', 'ls'], limited: true },
  { name: 'cmdai --help', args: [cli, '--help'], limited: false },
];

function timeOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore', cwd: repoRoot });
  if (result.error) throw result.error;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function loadedHeavyModules(args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-startup-'));
  const tracer = path.join(dir, 'trace.js');
  const out = path.join(dir, 'loaded.json');
  fs.writeFileSync(tracer, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  spawnSync(process.execPath, ['-r', tracer, ...args], { stdio: 'ignore', cwd: repoRoot });
  const loaded: string[] = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return HEAVY.filter((marker) => loaded.some((file) => file.split(path.sep).join('/').includes(marker)));
}

function main(): void {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (const c of cases) timeOnce(c.args); // warm the file cache
  for (let round = 0; round < RUNS; round++) {
    for (const c of cases) times.get(c.name)!.push(timeOnce(c.args));
  }
  const reference = median(times.get('node -e 0')!);
  console.log(`startup, ${RUNS} interleaved runs each, median wall time (node ${process.version}, ${os.cpus().length} CPUs)`);
  console.log(`${'command'.padEnd(22)} ${'median ms'.padStart(10)} ${'x node -e 0'.padStart(12)}  heavy modules loaded`);
  let over = 0;
  for (const c of cases) {
    const ms = median(times.get(c.name)!);
    const ratio = ms / reference;
    const heavy = c.name === 'node -e 0' ? [] : loadedHeavyModules(c.args.slice(0));
    const verdict = c.limited ? (ratio <= LIMIT ? `  (within ${LIMIT}x)` : `  (OVER ${LIMIT}x)`) : '';
    if (c.limited && ratio > LIMIT) over++;
    console.log(`${c.name.padEnd(22)} ${ms.toFixed(1).padStart(10)} ${ratio.toFixed(2).padStart(12)}  ${heavy.length ? heavy.join(', ') : 'none'}${verdict}`);
  }
  if (over > 0) console.log(`${over} command(s) above ${LIMIT}x of node -e 0 in this run.`);
}

main();
