// Secret redaction: what loading and running cmdai's own rules (lib/redact) costs a process, next
// to `node -e 0` and, when it is installed somewhere, secretlint (`@secretlint/core` with
// `@secretlint/secretlint-rule-preset-recommend`, ESM only, so loaded with import()). Each case is
// a fresh process that loads the redactor and redacts the same text once (interleaved runs,
// median wall time). Also how many of the fake secrets of test/redact each finds.
//
//   npm run bench -- redact [--runs 15] [--secretlint <dir with node_modules/@secretlint>]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeFakeSecrets } from '../test/redact/fake-secrets';
import { argValue, findRepoRoot } from './cli-args';

// From the working directory first: build/ may be shared between worktrees of the repository.
const repoRoot = findRepoRoot(process.cwd());
const RUNS = Number(argValue('--runs') ?? 15);
const secretlintDir = argValue('--secretlint') ?? process.env.SECRETLINT_DIR;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const redactModule = path.join(repoRoot, 'dist', 'redact', 'index.js');
  if (!fs.existsSync(redactModule)) throw new Error('dist/redact is missing: run `npx tsc -p tsconfig.json` first');
  const secrets = makeFakeSecrets();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-bench-redact-'));
  const sampleFile = path.join(work, 'sample.txt');
  // One secret per paragraph, so a finding can be attributed to its secret by position.
  const sample = secrets.map((s) => `${s.label}:\n${s.inText}\n`).join('\n');
  fs.writeFileSync(sampleFile, sample);

  const oursScript = path.join(work, 'ours.js');
  fs.writeFileSync(
    oursScript,
    `const { redactSecrets } = require(${JSON.stringify(redactModule)});
const text = require('fs').readFileSync(${JSON.stringify(sampleFile)}, 'utf8');
const out = redactSecrets(text, { env: {} }).text;
if (process.argv[2] === '--report') process.stdout.write(out);\n`,
  );
  const cases: { name: string; args: string[] }[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'cmdai lib/redact', args: [oursScript] },
  ];
  let secretlintScript: string | undefined;
  if (secretlintDir && fs.existsSync(path.join(secretlintDir, 'node_modules', '@secretlint', 'core'))) {
    secretlintScript = path.join(secretlintDir, `cmdai-bench-${process.pid}.mjs`);
    fs.writeFileSync(
      secretlintScript,
      `import { readFileSync } from 'node:fs';
const { lintSource } = await import('@secretlint/core');
const { creator } = await import('@secretlint/secretlint-rule-preset-recommend');
const content = readFileSync(${JSON.stringify(sampleFile)}, 'utf8');
const result = await lintSource({ source: { filePath: ${JSON.stringify(sampleFile)}, content, contentType: 'text' }, options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] } } });
if (process.argv[2] === '--report') process.stdout.write(JSON.stringify(result.messages.map((m) => m.range)));\n`,
    );
    cases.push({ name: 'secretlint + preset', args: [secretlintScript] });
  }

  const timeOnce = (args: string[]) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (result.error || result.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${result.status})`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  try {
    for (const c of cases) timeOnce(c.args); // warm the file cache
    for (let round = 0; round < RUNS; round++) for (const c of cases) times.get(c.name)!.push(timeOnce(c.args));

    // Coverage: a secret counts as found when its value is gone (ours) or a finding overlaps it (secretlint).
    const redacted = spawnSync(process.execPath, [oursScript, '--report'], { encoding: 'utf8' }).stdout;
    const oursFound = secrets.filter((s) => !redacted.includes(s.value)).length;
    let secretlintFound: number | undefined;
    if (secretlintScript) {
      const ranges = JSON.parse(spawnSync(process.execPath, [secretlintScript, '--report'], { encoding: 'utf8', cwd: secretlintDir }).stdout) as [number, number][];
      secretlintFound = secrets.filter((s) => {
        const start = sample.indexOf(s.inText) + s.inText.indexOf(s.value);
        return ranges.some(([a, b]) => a < start + s.value.length && b > start);
      }).length;
    }

    const reference = median(times.get('node -e 0')!);
    console.log(`redaction start-up, ${RUNS} interleaved runs each, median wall time of a process that loads the rules and redacts ${sample.length.toLocaleString('en-US')} characters once (node ${process.version})`);
    console.log(`${'case'.padEnd(22)} ${'median ms'.padStart(10)} ${'x node -e 0'.padStart(12)} ${'added ms'.padStart(9)}  fake secrets found (of ${secrets.length})`);
    for (const c of cases) {
      const ms = median(times.get(c.name)!);
      const found = c.name === 'cmdai lib/redact' ? String(oursFound) : c.name.startsWith('secretlint') ? String(secretlintFound) : '';
      console.log(`${c.name.padEnd(22)} ${ms.toFixed(1).padStart(10)} ${(ms / reference).toFixed(2).padStart(12)} ${(ms - reference).toFixed(1).padStart(9)}  ${found}`);
    }
    if (!secretlintScript) console.log('secretlint not measured: pass --secretlint <dir> (a folder where `npm install @secretlint/core @secretlint/secretlint-rule-preset-recommend` was run)');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (secretlintScript) fs.rmSync(secretlintScript, { force: true });
  }
}

main();
