// State shared by the previews of one command, and helpers they all use.
import { expandGlob, hasGlob, unescapeGlob } from './glob';
import type { ImpactCounter } from './walk';

/** What a command would do to the paths it touches. */
export type ImpactOperation = 'delete' | 'overwrite' | 'move' | 'truncate' | 'edit' | 'chmod' | 'chown' | 'discard-changes';

/** Internal state shared by the previews of one command. */
export interface PreviewRun {
  counter: ImpactCounter;
  operations: Set<ImpactOperation>;
  notes: string[];
  deadline: number;
  shell: string;
  home: string;
  globstar: boolean;
  outOfTime: () => boolean;
}

export async function addPattern(pattern: string, recursive: boolean, run: PreviewRun): Promise<void> {
  const matches = hasGlob(pattern) ? await expandGlob(pattern, { globstar: run.globstar, outOfTime: run.outOfTime }) : [unescapeGlob(pattern)];
  for (const match of matches) {
    if (run.outOfTime()) return;
    await run.counter.add(match, recursive);
  }
}

/** A pattern-form word as an absolute pattern (the directory part escaped). */
export function absolute(pattern: string, cwd: string): string {
  if (pattern.startsWith('/')) return pattern;
  const base = cwd.replace(/[\\*?[\]]/g, '\\$&');
  return pattern === '.' ? base : `${base.replace(/\/$/, '')}/${pattern.replace(/^\.\//, '')}`;
}
