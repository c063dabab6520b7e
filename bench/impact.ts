// Impact preview time on real trees, next to a native walk of the same tree (`du -s --apparent-size`,
// or `find -print0` for the find case, `git clean -n` for git clean) measured in the same run, as
// ratios. The previews run with a roomy budget here so they count everything; the last row is the
// big tree with the default 300 ms budget, which must stop on time and say "at least".
//
//   npm run bench -- impact [--rounds 5] [--big-files 200000]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argValue, findRepoRoot } from './cli-args';

// From the working directory first: build/ may be shared between worktrees of the repository.
const repoRoot = findRepoRoot(process.cwd());
const ROUNDS = Number(argValue('--rounds') ?? 5);
const BIG_FILES = Number(argValue('--big-files') ?? 200_000);

function sh(script: string, cwd: string): void {
  const run = spawnSync('bash', ['-c', script], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`setting up the tree failed: ${script}`);
}

function timeChild(program: string, args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(program, args, { cwd, stdio: 'ignore' });
  if (run.error) throw run.error;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const distImpact = path.join(repoRoot, 'dist', 'impact', 'index.js');
  if (!fs.existsSync(distImpact)) throw new Error('dist/impact is missing: run `npx tsc -p tsconfig.json` first');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- bench script: the compiled module is found at run time
  const { previewImpact, describeImpact } = require(distImpact) as typeof import('../lib/impact');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-bench-impact-'));
  try {
    console.log('making the trees ...');
    // build/: 20 directories x 1,000 files of 1 KiB, plus logs and text files for find and sed.
    sh('mkdir build && cd build && for d in $(seq 1 20); do mkdir "d$d"; (cd "d$d" && seq 1 1000 | xargs truncate -s 1024); done', work);
    sh('for d in build/d*; do for f in $(seq 1 50); do printf "log line\\n" > "$d/$f.log"; done; done; for f in $(seq 1 300); do printf "a text\\n" > "t$f.txt"; done', work);
    sh('mkdir repo && cd repo && git init -q && printf "x\\n" > tracked && git add tracked && git -c user.name=b -c user.email=b@example.com commit -qm init && mkdir -p out && for d in $(seq 1 10); do mkdir "out/$d"; (cd "out/$d" && seq 1 500 | xargs touch); done', work);
    sh(`mkdir big && cd big && for d in $(seq 1 ${Math.ceil(BIG_FILES / 500)}); do mkdir "$d"; (cd "$d" && seq 1 500 | xargs touch); done`, work);

    const cases = [
      { name: 'rm -rf build', cwd: work, reference: ['du', ['-s', '--apparent-size', 'build']] as const },
      { name: "find . -name '*.log' -delete", cwd: path.join(work, 'build'), reference: ['find', ['.', '-name', '*.log', '-print0']] as const },
      { name: 'git clean -fdx', cwd: path.join(work, 'repo'), reference: ['git', ['clean', '-n', '-d', '-x']] as const },
      { name: "sed -i 's/a/b/' *.txt", cwd: work, reference: ['bash', ['-c', 'ls *.txt']] as const },
      { name: 'rm -rf big', cwd: work, reference: ['du', ['-s', '--apparent-size', 'big']] as const },
    ];
    console.log(`impact preview, ${ROUNDS} interleaved rounds, median wall time (node ${process.version}, ${os.cpus().length} CPUs); budget 60 s so everything is counted`);
    console.log(`${'command'.padEnd(30)} ${'counted'.padStart(28)} ${'preview ms'.padStart(11)} ${'native ms'.padStart(10)} ${'ratio'.padStart(7)}  native walk`);
    for (const c of cases) {
      const previews: number[] = [];
      const natives: number[] = [];
      let summary = '';
      for (let round = 0; round < ROUNDS; round++) {
        const started = process.hrtime.bigint();
        const preview = await previewImpact(c.name, { cwd: c.cwd, timeoutMs: 60_000 });
        previews.push(Number(process.hrtime.bigint() - started) / 1e6);
        summary = preview ? `${preview.files.toLocaleString('en-US')} files, ${preview.directories.toLocaleString('en-US')} dirs` : 'nothing';
        natives.push(timeChild(c.reference[0], [...c.reference[1]], c.cwd));
      }
      const p = median(previews);
      const n = median(natives);
      console.log(`${c.name.padEnd(30)} ${summary.padStart(28)} ${p.toFixed(0).padStart(11)} ${n.toFixed(0).padStart(10)} ${(p / n).toFixed(2).padStart(7)}  ${c.reference[0]} ${c.reference[1].join(' ')}`);
    }

    const budgeted: number[] = [];
    let line = '';
    for (let round = 0; round < ROUNDS; round++) {
      const started = process.hrtime.bigint();
      const preview = (await previewImpact('rm -rf big', { cwd: work }))!;
      budgeted.push(Number(process.hrtime.bigint() - started) / 1e6);
      line = describeImpact(preview);
    }
    const b = median(budgeted);
    console.log(`\nrm -rf big with the default 300 ms budget: median ${b.toFixed(0)} ms (${(b / 300).toFixed(2)}x the budget); ${line}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
