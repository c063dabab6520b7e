// The reference corpora live in ../shared/corpora, next to the clone, never in the project. A
// suite that needs one runs when it is there (CI has it) and otherwise reports itself skipped,
// with the reason, as anyone cloning the published repository will see.
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

/** The path of `parts` inside ../shared/corpora. */
export function corpusPath(...parts: string[]): string {
  return path.resolve(repoRoot, '..', 'shared', 'corpora', ...parts);
}

/**
 * `describe` when `corpus` exists. Otherwise the suite is reported skipped, with the reason in
 * its title and on the console, and its body never runs (it may read the corpus as it is built).
 */
export function describeWithCorpus(corpus: string, title: string, body: () => void): void {
  if (fs.existsSync(corpus)) {
    describe(title, body);
    return;
  }
  const reason = `${corpus} is not there (the reference corpora sit in ../shared/corpora, next to the clone)`;
  console.warn(`[skipped] ${title}: ${reason}`);
  test.skip(`${title} [skipped: ${reason}]`, () => undefined);
}
