// The blind evaluation set (test/safety/blind, written from the rubric by people who had not read the
// assessor) holds the line on the targets over both files combined; bench/safety.ts prints
// the figures per file and lists every miss.
import type { RiskLevel } from '../../lib/safety';
import { accepted, assessEntry, BLIND_FILES, loadEvaluationSet, TARGETS } from './evaluation-set';

const entries = BLIND_FILES.flatMap((file) => loadEvaluationSet(file));

test('the set is there, with every level and all six shells', () => {
  expect(entries.length).toBeGreaterThanOrEqual(600);
  for (const level of ['safe', 'moderate', 'high', 'critical']) expect(entries.filter((e) => e.level === level).length).toBeGreaterThanOrEqual(120);
  expect(new Set(entries.map((e) => e.shell))).toEqual(new Set(['bash', 'sh', 'zsh', 'fish', 'powershell', 'cmd']));
});

test('no command labelled safe is rated above moderate', () => {
  const over = entries.filter((e) => e.level === 'safe').map((e) => ({ id: e.id, rated: assessEntry(e).level })).filter((r) => r.rated === 'high' || r.rated === 'critical');
  expect(over).toEqual([]);
});

test.each(['critical', 'high', 'moderate'] as RiskLevel[])('%s commands reach the rubric target, both files combined', (level) => {
  const of = entries.filter((e) => e.level === level);
  const ok = of.filter((e) => accepted(level, assessEntry(e).level)).length;
  expect(ok / of.length).toBeGreaterThanOrEqual(TARGETS[level]);
});
