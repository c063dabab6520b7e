// The blind evaluation set (test/safety/blind/*.jsonl, written from the rubric alone) and the
// figures issue 11 asks for: per level, how many are rated at the level or in its accepted range.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Assessment, RiskLevel } from '../../lib/safety';
import { assessCommand } from '../../lib/safety';

export interface EvaluationEntry {
  id: string;
  shell: 'bash' | 'sh' | 'zsh' | 'fish' | 'powershell' | 'cmd';
  command: string;
  level: RiskLevel;
  why: string;
  cwd?: string;
  home?: string;
  file: string;
}

export const BLIND_FILES = ['posix.jsonl', 'fish-windows.jsonl'];

export function blindDir(): string {
  // Compiled copies (build/scripts/test/safety) sit deeper than the sources.
  for (const base of [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..', '..'), process.cwd()]) {
    const dir = path.join(base, 'test', 'safety', 'blind');
    if (fs.existsSync(dir)) return dir;
  }
  return path.resolve(__dirname, 'blind');
}

export function loadEvaluationSet(file: string): EvaluationEntry[] {
  const text = fs.readFileSync(path.join(blindDir(), file), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => ({ ...(JSON.parse(line) as Omit<EvaluationEntry, 'file'>), file }));
}

/** The context the set's authors assumed when an entry names none. */
export function contextFor(entry: EvaluationEntry): { cwd: string; home: string } {
  const windows = entry.shell === 'powershell' || entry.shell === 'cmd';
  return {
    cwd: entry.cwd ?? (windows ? 'C:\\Users\\dev\\project' : '/home/dev/project'),
    home: entry.home ?? (windows ? 'C:\\Users\\dev' : '/home/dev'),
  };
}

export function assessEntry(entry: EvaluationEntry): Assessment {
  return assessCommand(entry.command, { shell: entry.shell, ...contextFor(entry) });
}

/** The rubric's targets: critical rated critical; high rated high or critical; moderate rated
 *  moderate or high; safe rated safe or moderate. */
export function accepted(label: RiskLevel, rated: RiskLevel): boolean {
  switch (label) {
    case 'critical':
      return rated === 'critical';
    case 'high':
      return rated === 'high' || rated === 'critical';
    case 'moderate':
      return rated === 'moderate' || rated === 'high';
    case 'safe':
      return rated === 'safe' || rated === 'moderate';
  }
}

export const TARGETS: Record<RiskLevel, number> = { critical: 0.97, high: 0.95, moderate: 0.9, safe: 1 };
