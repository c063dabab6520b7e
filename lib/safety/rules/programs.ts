// Which programs are shells and interpreters. Kept apart from the judges so that deciding whether a
// command needs a judge at all loads nothing else.
import type { InlineLanguage } from './inline-code';

export const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'fish', 'csh', 'tcsh', 'rbash', 'busybox-sh', 'pdksh', 'oksh', 'loksh', 'elvish', 'nu', 'xonsh']);

export interface InterpreterSpec {
  language: InlineLanguage;
  /** Options whose next word is code. */
  code: readonly string[];
  /** Options that take a (non-code) value. */
  short: string;
  long: readonly string[];
}

const INTERPRETERS: Record<string, InterpreterSpec> = {
  python: { language: 'python', code: ['-c'], short: 'mWXQ', long: ['--check-hash-based-pycs'] },
  perl: { language: 'perl', code: ['-e', '-E'], short: 'IMmdDx', long: [] },
  ruby: { language: 'ruby', code: ['-e'], short: 'IrCEFKTUWx', long: [] },
  node: { language: 'node', code: ['-e', '--eval', '-p', '--print'], short: 'r', long: ['--require', '--import', '--loader', '--input-type'] },
  php: { language: 'php', code: ['-r'], short: 'cdz', long: [] },
  deno: { language: 'node', code: ['eval'], short: '', long: [] },
  bun: { language: 'node', code: ['-e', '--eval', '-p', '--print'], short: '', long: [] },
};

export function interpreterFor(name: string): InterpreterSpec | undefined {
  if (/^python(\d+(\.\d+)?)?$/.test(name) || name === 'pypy' || name === 'pypy3') return INTERPRETERS.python;
  if (/^perl(\d+(\.\d+)*)?$/.test(name)) return INTERPRETERS.perl;
  if (/^ruby(\d+(\.\d+)*)?$/.test(name) || name === 'jruby') return INTERPRETERS.ruby;
  if (name === 'node' || name === 'nodejs') return INTERPRETERS.node;
  if (/^php(\d+(\.\d+)*)?$/.test(name)) return INTERPRETERS.php;
  if (name === 'deno' || name === 'bun') return INTERPRETERS[name];
  return undefined;
}

