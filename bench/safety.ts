// Safety assessor figures on the reference corpora (../shared/corpora):
//   dcg          precision and recall of "rated at least high" against the allow/deny labels
//   nl2bash      every command of nl2bash/all.cm assessed: crashes, median and maximum time
//   atomic       how many Atomic Red Team attack tests rate at least high (a sanity measure)
//   startup      `check "ls"` startup against `node -e 0`, as a ratio measured in the same run
//   blind        the blind evaluation set (test/safety/blind): per level, per file and combined
// Usage: node build/scripts/bench/safety.js [dcg|nl2bash|atomic|startup ...] [--misses]
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { assessCommand } from '../lib/safety';
import type { Assessment } from '../lib/safety';
import { loadAtomicRedTeam, loadDcg, loadNl2bash } from '../test/safety/corpora';
import { accepted, assessEntry, BLIND_FILES, loadEvaluationSet, TARGETS } from '../test/safety/evaluation-set';
import type { EvaluationEntry } from '../test/safety/evaluation-set';

const args = process.argv.slice(2);
const showMisses = args.includes('--misses');
const sections = args.filter((a) => !a.startsWith('--'));
const want = (name: string): boolean => sections.length === 0 || sections.includes(name);

function atLeastHigh(a: Assessment): boolean {
  return a.level === 'high' || a.level === 'critical';
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : ((100 * n) / d).toFixed(1) + '%';
}

function dcg(): void {
  const { cases, excluded } = loadDcg();
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const perCategory = new Map<string, { n: number; ok: number }>();
  const misses: string[] = [];
  for (const c of cases) {
    const a = assessCommand(c.command);
    const flagged = atLeastHigh(a);
    const ok = c.label === 'deny' ? flagged : !flagged;
    if (c.label === 'deny' && flagged) tp++;
    else if (c.label === 'deny') fn++;
    else if (flagged) fp++;
    else tn++;
    const key = c.category.replace(/:.*$/, '');
    const stat = perCategory.get(key) ?? { n: 0, ok: 0 };
    stat.n++;
    if (ok) stat.ok++;
    perCategory.set(key, stat);
    if (!ok) misses.push(`  ${c.label.padEnd(5)} rated ${a.level.padEnd(8)} ${JSON.stringify(c.command).slice(0, 140)}  [${c.source}] ${a.reasons.map((r) => r.rule).join(',')}`);
  }
  console.log(`dcg: ${cases.length} labelled commands (${cases.filter((c) => c.label === 'deny').length} deny, ${cases.filter((c) => c.label === 'allow').length} allow); positive = rated high or critical`);
  console.log(`  TP ${tp}  FP ${fp}  FN ${fn}  TN ${tn}`);
  console.log(`  precision ${pct(tp, tp + fp)}  recall ${pct(tp, tp + fn)}  deny cases >= high: ${tp}/${tp + fn}  allow cases <= moderate: ${tn}/${tn + fp}`);
  for (const [cat, s] of [...perCategory].sort()) console.log(`  ${cat.padEnd(44)} ${String(s.ok).padStart(4)}/${s.n}`);
  if (excluded.length) {
    console.log(`  not scored (label records a missing upstream pack, see specs/safety.md): ${excluded.length}`);
    for (const c of excluded) console.log(`    upstream ${c.label}, rated ${assessCommand(c.command).level}: ${c.command}`);
  }
  if (misses.length) {
    console.log(`  disagreements (${misses.length}):`);
    for (const m of showMisses ? misses : misses.slice(0, 20)) console.log(m);
    if (!showMisses && misses.length > 20) console.log(`  ... ${misses.length - 20} more (--misses shows all)`);
  }
}

// The first call loads the parser and the rules; timed before anything else runs.
const coldStart = process.hrtime.bigint();
assessCommand('true');
const firstCallMs = Number(process.hrtime.bigint() - coldStart) / 1e6;

function nl2bash(): void {
  const commands = loadNl2bash();
  let t: bigint;
  // One untimed pass warms the JIT the way a long-running process (or a second command) would.
  for (const c of commands.slice(0, 500)) assessCommand(c);
  // The machine is shared: a single timing can include time the process spent descheduled.
  // Each command is timed REPEATS times and its best time is kept; the first pass is reported too.
  const REPEATS = 3;
  const best: number[] = [];
  const firstPass: number[] = [];
  let crashes = 0;
  const slow: string[] = [];
  const levels = new Map<string, number>();
  for (const c of commands) {
    let min = Infinity;
    for (let r = 0; r < REPEATS; r++) {
      t = process.hrtime.bigint();
      try {
        const a = assessCommand(c);
        if (r === 0) levels.set(a.level, (levels.get(a.level) ?? 0) + 1);
      } catch (err) {
        if (r === 0) {
          crashes++;
          console.log(`  crash on ${JSON.stringify(c)}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r === 0) firstPass.push(ms);
      min = Math.min(min, ms);
    }
    best.push(min);
    if (min > 5) slow.push(`${min.toFixed(2)} ms  ${c.slice(0, 120)}`);
  }
  const stats = (xs: number[]): string => {
    const sorted = [...xs].sort((a, b) => a - b);
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return `median ${q(0.5).toFixed(3)} ms  p90 ${q(0.9).toFixed(3)} ms  p99 ${q(0.99).toFixed(3)} ms  max ${sorted[sorted.length - 1].toFixed(3)} ms  over 5 ms: ${xs.filter((x) => x > 5).length}`;
  };
  console.log(`nl2bash: ${commands.length} commands, ${crashes} crashes; the process's first call (loads parser and rules) took ${firstCallMs.toFixed(1)} ms`);
  console.log(`  best of ${REPEATS}: ${stats(best)}`);
  console.log(`  first pass: ${stats(firstPass)}`);
  console.log(`  levels: ${['safe', 'moderate', 'high', 'critical'].map((l) => `${l} ${levels.get(l) ?? 0}`).join(', ')}`);
  for (const s of slow) console.log('  slow: ' + s);
}

function atomic(): void {
  const tests = loadAtomicRedTeam();
  const counts = new Map<string, number>();
  for (const t of tests) {
    const a = assessCommand(t.command);
    counts.set(a.level, (counts.get(a.level) ?? 0) + 1);
  }
  const high = (counts.get('high') ?? 0) + (counts.get('critical') ?? 0);
  console.log(`atomic-red-team: ${tests.length} attack tests; rated high or critical: ${high} (${pct(high, tests.length)})`);
  console.log(`  levels: ${['safe', 'moderate', 'high', 'critical'].map((l) => `${l} ${counts.get(l) ?? 0}`).join(', ')}`);
}

function startup(): void {
  const repoRoot = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..', '..'), process.cwd()].find((d) => fs.existsSync(path.join(d, 'package.json')))!;
  const checkModule = path.join(repoRoot, 'dist', 'cli', 'commands', 'check.js');
  if (!fs.existsSync(checkModule)) {
    console.log(`startup: ${checkModule} is missing; run \`npm run build:ts\` first.`);
    process.exitCode = 1;
    return;
  }
  // The check command on its own under yargs, as main.ts registers it.
  const script = `require('yargs/yargs')(process.argv.slice(1)).command(require(${JSON.stringify(checkModule)}).default).parse()`;
  const runs: Record<string, number[]> = { 'node -e 0': [], 'check "ls" (yargs + check module)': [] };
  const bin = path.join(repoRoot, 'bin', 'cmdai.js');
  const haveBin = fs.existsSync(bin) && fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'));
  if (haveBin) runs['cmdai check "ls" (bin/cmdai.js)'] = [];
  const time = (argv: string[]): number => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { cwd: repoRoot, stdio: 'ignore' });
    if (r.status === null) throw new Error(`${argv.join(' ')} did not exit`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let round = 0; round < 15; round++) {
    runs['node -e 0'].push(time(['-e', '0']));
    runs['check "ls" (yargs + check module)'].push(time(['-e', script, 'check', 'ls']));
    if (haveBin) runs['cmdai check "ls" (bin/cmdai.js)'].push(time([bin, 'check', 'ls']));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(runs['node -e 0']);
  console.log('startup (median of 15 interleaved runs):');
  for (const [name, xs] of Object.entries(runs)) console.log(`  ${name.padEnd(36)} ${median(xs).toFixed(1)} ms  ratio ${(median(xs) / base).toFixed(2)}`);
}

function blind(): void {
  const all: EvaluationEntry[] = [];
  const rows: [string, EvaluationEntry[]][] = [];
  for (const file of BLIND_FILES) {
    const entries = loadEvaluationSet(file);
    all.push(...entries);
    rows.push([file, entries]);
  }
  rows.push(['combined', all]);
  const levels = ['critical', 'high', 'moderate', 'safe'] as const;
  const describe = { critical: 'critical rated critical', high: 'high rated >= high', moderate: 'moderate rated moderate|high', safe: 'safe rated <= moderate' };
  const rated = new Map(all.map((e) => [e, assessEntry(e).level]));
  console.log(`blind evaluation set: ${all.length} commands; targets ${levels.map((l) => `${l} ${(TARGETS[l] * 100).toFixed(0)}%`).join(', ')}`);
  console.log(`  ${'file'.padEnd(20)} ${levels.map((l) => describe[l].padEnd(31)).join('')}`);
  for (const [name, entries] of rows) {
    const cells = levels.map((l) => {
      const of = entries.filter((e) => e.level === l);
      const ok = of.filter((e) => accepted(l, rated.get(e)!)).length;
      return `${pct(ok, of.length)} (${ok}/${of.length})${ok / Math.max(1, of.length) >= TARGETS[l] ? '' : ' *'}`.padEnd(31);
    });
    console.log(`  ${name.padEnd(20)} ${cells.join('')}`);
  }
  const shells = [...new Set(all.map((e) => e.shell))];
  for (const shell of shells) {
    const of = all.filter((e) => e.shell === shell);
    const ok = of.filter((e) => accepted(e.level, rated.get(e)!)).length;
    console.log(`  by shell: ${shell.padEnd(11)} ${pct(ok, of.length)} of ${of.length} in the accepted range`);
  }
  const misses = all.filter((e) => !accepted(e.level, rated.get(e)!));
  console.log(`  (* below target) misses: ${misses.length}${showMisses ? '' : ' (--misses lists them)'}`);
  if (showMisses) {
    for (const e of misses) {
      const a = assessEntry(e);
      console.log(`  ${e.id} ${e.shell.padEnd(10)} label ${e.level.padEnd(8)} rated ${a.level.padEnd(8)} ${JSON.stringify(e.command).slice(0, 150)}  [${a.reasons.map((r) => r.rule).join(',')}]`);
    }
  }
}

if (want('blind')) blind();
if (want('dcg')) dcg();
if (want('nl2bash')) nl2bash();
if (want('atomic')) atomic();
if (want('startup')) startup();
