// Which commands can be offered "move to trash instead": a plain `rm` of paths that all exist now.
// Anything else (a pipeline, sudo, a glob that matches nothing, options beyond -r/-f/-i/-v/-d) keeps
// its own behaviour, because trashing would not be the same operation.
import * as path from 'node:path';
import { expandGlob, hasGlob, unescapeGlob } from '../impact/glob';
import { absolute } from '../impact/run';
import { splitPlainCommands } from '../impact/words';

const RM_OPTIONS = /^(?:-[rRfivd]+|--recursive|--force|--verbose|--dir|--interactive(?:=\w+)?)$/;

export interface TrashTargetOptions {
  cwd: string;
  shell?: string;
  home?: string;
}

/** The absolute paths a plain rm would delete, or undefined when the command is not one. */
export async function trashableTargets(command: string, options: TrashTargetOptions): Promise<string[] | undefined> {
  const shell = options.shell ?? 'bash';
  if (['pwsh', 'powershell', 'cmd'].includes(shell)) return undefined;
  const commands = splitPlainCommands(command, options.home);
  if (!commands || commands.length !== 1 || commands[0].redirects.length > 0) return undefined;
  const [name, ...args] = commands[0].words;
  if (!name || path.basename(unescapeGlob(name)) !== 'rm') return undefined;
  const operands: string[] = [];
  let optionsDone = false;
  for (const arg of args) {
    const plain = unescapeGlob(arg);
    if (!optionsDone && plain === '--') optionsDone = true;
    else if (!optionsDone && plain.startsWith('-') && plain !== '-') {
      if (!RM_OPTIONS.test(plain)) return undefined;
    } else operands.push(arg);
  }
  if (operands.length === 0) return undefined;
  const targets: string[] = [];
  // A glob too big to expand in a moment is not "resolved" for this purpose.
  const deadline = Date.now() + 2000;
  let timedOut = false;
  const outOfTime = () => (timedOut ||= Date.now() > deadline);
  for (const operand of operands) {
    const pattern = absolute(operand, options.cwd);
    const matches = await expandGlob(pattern, { globstar: shell === 'zsh' || shell === 'fish', outOfTime });
    if (timedOut) return undefined;
    if (matches.length === 0) return undefined; // rm would fail on it: not all resolved
    if (!hasGlob(pattern) && matches[0] !== unescapeGlob(pattern)) return undefined;
    targets.push(...matches);
  }
  const unique = [...new Set(targets.map((t) => path.resolve(t)))];
  // The filesystem root or the home directory itself is never "moved to the trash".
  if (unique.some((t) => t === '/' || (options.home && t === path.resolve(options.home)))) return undefined;
  return unique;
}
