// What the hand-run benchmarks share: finding the package they measure and reading `--name value`.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The nearest folder upwards whose package.json is cmdai's. */
export function findRepoRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'cmdai') return dir;
  }
  throw new Error('cannot find the cmdai package root');
}

/** The value after `name` on the command line, if given. */
export function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}
