// Small helpers for reading command-line options the way most Unix tools do.
import type { Word } from './command';
import { foldLookalikes } from './command';

export interface OptionSpec {
  /** Short option letters that take a value (`-u root`, `-uroot`). */
  short?: string;
  /** Long options that take a value when not written with `=` (`--user root`). */
  long?: readonly string[];
  /** `NAME=value` words before the command are environment assignments (sudo, env). */
  assignments?: boolean;
}

/** Index of the first word that is not an option (or option value); `--` ends options. */
export function firstPositional(words: readonly Word[], spec: OptionSpec, from = 0): number {
  let i = from;
  while (i < words.length) {
    const v = foldLookalikes(words[i].value);
    if (v === '--') return i + 1;
    if (v.startsWith('--') && v.length > 2) {
      i += !v.includes('=') && spec.long?.includes(v) ? 2 : 1;
      continue;
    }
    if (v.startsWith('-') && v.length > 1) {
      i += shortTakesNext(v, spec.short ?? '') ? 2 : 1;
      continue;
    }
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      i += 1;
      continue;
    }
    return i;
  }
  return i;
}

function shortTakesNext(flag: string, withValue: string): boolean {
  const letters = flag.slice(1);
  for (let j = 0; j < letters.length; j++) {
    if (withValue.includes(letters[j])) return j === letters.length - 1;
  }
  return false;
}

/** Short flags present, whether written alone (`-r -f`) or combined (`-rf`). Long options are ignored. */
export function shortFlags(words: readonly Word[], stopAtDoubleDash = true): Set<string> {
  const flags = new Set<string>();
  for (const w of words) {
    const v = foldLookalikes(w.value);
    if (v === '--' && stopAtDoubleDash) break;
    if (/^-[A-Za-z0-9]+$/.test(v)) for (const c of v.slice(1)) flags.add(c);
  }
  return flags;
}

/** Long options present (lower-cased, value after `=` dropped). */
export function longOptions(words: readonly Word[]): Set<string> {
  const opts = new Set<string>();
  for (const w of words) {
    const v = foldLookalikes(w.value);
    if (v === '--') break;
    if (v.startsWith('--') && v.length > 2) opts.add(v.toLowerCase().split('=')[0]);
  }
  return opts;
}

/** The value of an option: `-X DELETE`, `-XDELETE`, `--request DELETE`, `--request=DELETE`. */
export function optionValue(words: readonly Word[], short: string | null, long: readonly string[]): Word | undefined {
  for (let i = 0; i < words.length; i++) {
    const v = foldLookalikes(words[i].value);
    if (v === '--') break;
    for (const name of long) {
      if (v === name) return words[i + 1];
      if (v.startsWith(name + '=')) return { ...words[i], value: v.slice(name.length + 1) };
    }
    if (short && v.startsWith('-' + short) && !v.startsWith('--')) {
      if (v.length === 2) return words[i + 1];
      return { ...words[i], value: v.slice(2) };
    }
  }
  return undefined;
}

/** Words that are not options, skipping values of the given options. */
export function positionals(words: readonly Word[], spec: OptionSpec): Word[] {
  const out: Word[] = [];
  let i = 0;
  let optionsDone = false;
  while (i < words.length) {
    const v = foldLookalikes(words[i].value);
    if (!optionsDone && v === '--') {
      optionsDone = true;
      i++;
      continue;
    }
    if (!optionsDone && v.startsWith('-') && v.length > 1) {
      if (v.startsWith('--')) i += !v.includes('=') && spec.long?.includes(v) ? 2 : 1;
      else i += shortTakesNext(v, spec.short ?? '') ? 2 : 1;
      continue;
    }
    out.push(words[i]);
    i++;
  }
  return out;
}
