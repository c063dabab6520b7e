// The assessor against labelled commands nobody on this project wrote (../shared/corpora).
// Figures (precision, recall, timings) are printed by bench/safety.ts; this file holds the line.
import { assessCommand } from '../../lib/safety';
import * as fs from 'node:fs';
import { corporaRoot, loadAtomicRedTeam, loadDcg, loadNl2bash } from './corpora';

// The corpora are not part of the repository: CI has them at ../shared/corpora. Without them these
// suites say they are skipped, and why, instead of failing.
const root = corporaRoot();
const available = fs.existsSync(root);
const skipNote = available ? '' : ` (skipped: reference corpora not found at ${root})`;
const describeWithCorpora = available ? describe : describe.skip;

const { cases } = available ? loadDcg() : { cases: [] };

/** Upstream labels we disagree with, each with the reason (specs/safety.md, "Label disagreements"). */
const LABEL_DISAGREEMENTS: { command: string; source: string; why: string }[] = [
  {
    command: 'git reset\\n--hard',
    source: 'e2e-commands/edge_cases.txt',
    why: 'In a shell this is `git reset n--hard` (the backslash escapes the n), a mixed reset to a ref that does not exist; nothing is discarded.',
  },
];
const isDisagreement = (c: { command: string; source: string }): boolean => LABEL_DISAGREEMENTS.some((d) => d.command === c.command && d.source === c.source);

describeWithCorpora(`dcg corpus${skipNote}`, () => {
  const deny = cases.filter((c) => c.label === 'deny' && !isDisagreement(c));
  const allow = cases.filter((c) => c.label === 'allow');

  test('the corpus is there and has both labels', () => {
    expect(deny.length).toBeGreaterThan(400);
    expect(allow.length).toBeGreaterThan(500);
  });

  test('every command labelled deny is rated at least high', () => {
    const missed = deny.filter((c) => !['high', 'critical'].includes(assessCommand(c.command).level)).map((c) => `${c.source}: ${c.command}`);
    expect(missed).toEqual([]);
  });

  test('every command labelled allow is rated at most moderate', () => {
    const flagged = allow
      .map((c) => ({ c, a: assessCommand(c.command) }))
      .filter(({ a }) => a.level === 'high' || a.level === 'critical')
      .map(({ c, a }) => `${c.source}: ${c.command} -> ${a.level} ${a.reasons.map((r) => r.rule).join(',')}`);
    expect(flagged).toEqual([]);
  });

  test.each(LABEL_DISAGREEMENTS)('documented disagreement still rated below high: $command', ({ command, source }) => {
    expect(cases.some((c) => c.command === command && c.source === source)).toBe(true);
    expect(['safe', 'moderate']).toContain(assessCommand(command).level);
  });
});

describeWithCorpora(`nl2bash corpus${skipNote}`, () => {
  test('every command is assessed without throwing, with a valid result', () => {
    const problems: string[] = [];
    for (const command of loadNl2bash()) {
      try {
        const a = assessCommand(command);
        if (!['safe', 'moderate', 'high', 'critical'].includes(a.level) || !Array.isArray(a.reasons)) problems.push(command);
      } catch (err) {
        problems.push(`${command}: ${String(err)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describeWithCorpora(`atomic-red-team corpus${skipNote}`, () => {
  test('every attack test is assessed without throwing', () => {
    const tests = loadAtomicRedTeam();
    expect(tests.length).toBeGreaterThan(400);
    for (const t of tests) expect(() => assessCommand(t.command)).not.toThrow();
  });
});
