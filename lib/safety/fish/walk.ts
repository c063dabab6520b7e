// fish, read by a tokenizer of our own (no maintained synchronous fish grammar exists; see
// specs/safety.md): statements, pipelines, `and`/`or`/`not`, `if`/`while`/`for`/`switch`/
// `function`/`begin` ... `end`, `(command)` and `$(command)` substitution, `$var`, `set`, quotes,
// escapes, redirections. Every simple command is handed to the analysis like a bash one.
import type { DataSource, Redirect, SimpleCommand, Word } from '../command';
import { commandBaseName, foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { Span } from '../types';
import { isDynamic, unknownValue } from '../markers';
import { expandWord, FIELD_SPLIT } from '../bash/words';
import { commandOutput } from '../rules/data-flow';

interface FishWord {
  kind: 'word';
  word: Word;
}
interface FishOp {
  kind: 'op';
  op: string;
  span: Span;
}
type Token = FishWord | FishOp;

const WELL_KNOWN: Record<string, string> = { HOME: '~', TMPDIR: '/tmp', PWD: '.', SHELL: 'fish', fish_pid: '1', HISTFILE: '~/.local/share/fish/fish_history' };
const BLOCK_OPENERS = new Set(['if', 'while', 'for', 'switch', 'function', 'begin']);
const MAX_DEPTH = 64;

export function analyseFishText(text: string, analysis: Analysis): void {
  new FishReader(text, analysis).run(0, text.length);
}

class FishReader {
  private readonly env = new Map<string, string>();
  private depth = 0;
  private readonly functions: string[] = [];
  private readonly defined = new Set<string>();
  /** Block keywords seen, so `end` closes the right one (for function bodies). */
  private readonly blocks: string[] = [];

  constructor(
    private readonly text: string,
    private readonly analysis: Analysis,
  ) {}

  /** Reads the statements in text[from, to); returns the last command run (for substitutions). */
  run(from: number, to: number): SimpleCommand | undefined {
    if (this.depth >= MAX_DEPTH) {
      this.analysis.report('parse.too-deep', 'high', 'The command nests too deeply to be inspected; read it yourself before running it.', { start: from, end: to });
      return undefined;
    }
    this.depth++;
    try {
      const result = this.statements(from, to);
      if (result instanceof Error) {
        this.analysis.report('parse.failed', 'high', `Could not parse the fish command (${result.message}); read it yourself before running it.`, { start: from, end: to });
        return undefined;
      }
      return result;
    } finally {
      this.depth--;
    }
  }

  /** Statements are read one at a time, so `set x ...` is known to the words after it. */
  private statements(from: number, to: number): SimpleCommand | undefined | Error {
    let previous: SimpleCommand | undefined;
    let last: SimpleCommand | undefined;
    let piped = false;
    let pos = from;
    while (pos < to) {
      const next = this.tokenize(pos, to);
      if (next instanceof Error) return next;
      pos = next.end;
      const tokens = next.tokens;
      const sep = tokens.length && tokens[tokens.length - 1].kind === 'op' && /^(\||&\||;|\n|&&|\|\||&)$/.test((tokens[tokens.length - 1] as FishOp).op) ? (tokens.pop() as FishOp).op : '';
      const endsPipe = sep === '|' || sep === '&|';
      if (tokens.length) {
        const stdin: DataSource | undefined = piped ? (previous ? commandOutput(previous) : { kind: 'unknown', span: stageSpan(tokens) }) : undefined;
        previous = this.statement(tokens, stdin, endsPipe || piped || sep === '&');
        last = previous ?? last;
      } else previous = undefined;
      piped = endsPipe;
    }
    return last;
  }

  /** One simple statement: keywords peeled off, redirections collected, the command judged. */
  private statement(tokens: Token[], stdin: DataSource | undefined, concurrent: boolean): SimpleCommand | undefined {
    let words: Word[] = [];
    const redirects: Redirect[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.kind === 'op') {
        const target = tokens[i + 1];
        if (target && target.kind === 'word') {
          i++;
          if (!target.word.value.startsWith('&')) redirects.push({ op: t.op, target: target.word, span: { start: t.span.start, end: target.word.span.end } });
        }
        continue;
      }
      words.push(t.word);
    }
    // Keywords that only frame a command.
    for (let guard = 0; guard < 8 && words.length; guard++) {
      const head = words[0].value;
      if (head === 'and' || head === 'or' || head === 'not' || head === '!' || head === 'if' || head === 'while' || head === 'else' || head === 'begin') {
        if (BLOCK_OPENERS.has(head)) this.blocks.push(head);
        words = words.slice(1);
        continue;
      }
      break;
    }
    if (!words.length) return undefined;
    const head = words[0].value;
    if (head === 'end') {
      if (this.blocks.pop() === 'function') this.functions.pop();
      return undefined;
    }
    if (head === 'for' || head === 'switch') {
      this.blocks.push(head);
      if (head === 'for') {
        const name = words[1]?.value;
        // fish variables are lists: `$d` becomes every value the loop takes.
        const values = words[2]?.value === 'in' ? words.slice(3).map((w) => w.value) : [];
        if (name && /^\w+$/.test(name)) this.env.set(name, values.length ? values.join(FIELD_SPLIT) : unknownValue(name));
      }
      return undefined;
    }
    if (head === 'case' || head === 'break' || head === 'continue' || head === 'return') return undefined;
    if (head === 'function') {
      this.blocks.push('function');
      this.functions.push(words[1]?.value ?? '');
      this.defined.add(words[1]?.value ?? '');
      return undefined;
    }
    if (head === 'set') {
      this.assignment(words);
      if (!words.slice(1).some((w) => /^-[a-zA-Z]*U|^--universal$/.test(w.value))) return undefined;
    }
    if (concurrent && this.functions.includes(head) && head !== '') {
      this.analysis.report('sys.fork-bomb', 'critical', `The function "${head}" starts copies of itself without limit (a fork bomb); it exhausts the machine's processes until it is rebooted.`, stageSpan(tokens));
    }
    // A call of a function defined on this line: its body was judged where it was defined.
    if (this.defined.has(head)) return undefined;
    const [nameWord, ...args] = words;
    const cmd: SimpleCommand = {
      name: commandBaseName(foldLookalikes(nameWord.value)),
      nameWord,
      args,
      redirects,
      stdin,
      span: stageSpan(tokens),
      dialect: 'posix',
      wrappers: [],
      source: this.text.slice(stageSpan(tokens).start, stageSpan(tokens).end),
    };
    if (cmd.name === 'set' || cmd.name === 'set_color' || cmd.name === 'functions' || cmd.name === 'abbr' || cmd.name === 'funcsave') return this.fishBuiltin(cmd);
    return this.analysis.judge(cmd);
  }

  /** `set -U` (universal: kept across sessions) changes a setting; `funcsave` writes a function file. */
  private fishBuiltin(cmd: SimpleCommand): SimpleCommand {
    const flags = cmd.args.filter((w) => w.value.startsWith('-')).map((w) => w.value);
    if (cmd.name === 'set' && flags.some((f) => /^-[a-zA-Z]*U|^--universal$/.test(f))) {
      const name = cmd.args.find((w) => !w.value.startsWith('-'))?.value ?? '';
      this.analysis.effect({ kind: 'setting', target: { type: 'setting', value: name } }, `set -U changes the universal variable "${name}", kept for every fish session from now on.`, cmd.span, 'fish.universal-variable');
    } else if (cmd.name === 'funcsave' || (cmd.name === 'abbr' && flags.some((f) => /^(-a|--add)$/.test(f)))) {
      this.analysis.effect({ kind: 'setting', target: { type: 'setting', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.name} saves a definition that every future fish session loads.`, cmd.span, 'fish.saved-definition');
    } else if ((cmd.name === 'functions' || cmd.name === 'abbr') && flags.some((f) => /^(-e|--erase)$/.test(f))) {
      this.analysis.effect({ kind: 'setting', target: { type: 'setting', value: cmd.args.filter((w) => !w.value.startsWith('-')).map((w) => w.value).join(' ') } }, `${cmd.name} --erase removes a ${cmd.name === 'abbr' ? 'abbreviation' : 'function'} from the shell.`, cmd.span, 'shell.erase-definition');
    }
    return cmd;
  }

  private assignment(words: Word[]): void {
    let i = 1;
    let erase = false;
    while (i < words.length && words[i].value.startsWith('-')) {
      if (/^-[a-zA-Z]*e|^--erase$/.test(words[i].value)) erase = true;
      i++;
    }
    const name = words[i]?.value;
    if (!name || !/^\w+$/.test(name)) return;
    if (erase) this.env.delete(name);
    else this.env.set(name, words.slice(i + 1).map((w) => w.value).join(' '));
  }

  // --- tokens -------------------------------------------------------------------------------

  /** The tokens of one statement, up to and including the operator that ends it. */
  private tokenize(from: number, to: number): { tokens: Token[]; end: number } | Error {
    const text = this.text;
    const tokens: Token[] = [];
    let i = from;
    const ends = (): boolean => {
      const t = tokens[tokens.length - 1];
      return t !== undefined && t.kind === 'op' && /^(\||&\||;|\n|&&|\|\||&)$/.test(t.op);
    };
    while (i < to && !ends()) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        continue;
      }
      if (c === '\\' && text[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (c === '#') {
        while (i < to && text[i] !== '\n') i++;
        continue;
      }
      if (c === '\n' || c === ';') {
        tokens.push({ kind: 'op', op: c, span: { start: i, end: i + 1 } });
        i++;
        continue;
      }
      const two = text.slice(i, i + 2);
      if (two === '&&' || two === '||' || two === '&|') {
        tokens.push({ kind: 'op', op: two, span: { start: i, end: i + 2 } });
        i += 2;
        continue;
      }
      if (c === '|') {
        tokens.push({ kind: 'op', op: '|', span: { start: i, end: i + 1 } });
        i++;
        continue;
      }
      const redirect = /^(\d*|&)(>>|>\?|>|<)(?!\()/.exec(text.slice(i, Math.min(to, i + 4)));
      if (redirect && (c === '>' || c === '<' || /\d|&/.test(c)) && (redirect[1] !== '' || c === '>' || c === '<')) {
        if (!(redirect[1] !== '' && /\w/.test(text[i - 1] ?? ''))) {
          const op = redirect[2] === '>?' ? '>' : redirect[2];
          tokens.push({ kind: 'op', op: redirect[1] === '&' ? '&' + op : op, span: { start: i, end: i + redirect[0].length } });
          i += redirect[0].length;
          // `>&2`, `2>&1`: a file descriptor, not a file.
          if (text[i] === '&') {
            const fd = /^&\d+|^&-/.exec(text.slice(i));
            if (fd) {
              tokens.push({ kind: 'word', word: { value: fd[0], span: { start: i, end: i + fd[0].length }, glob: false } });
              i += fd[0].length;
            }
          }
          continue;
        }
      }
      if (c === '&') {
        tokens.push({ kind: 'op', op: '&', span: { start: i, end: i + 1 } });
        i++;
        continue;
      }
      const word = this.word(i, to);
      if (word instanceof Error) return word;
      tokens.push(...word.words.map((w): FishWord => ({ kind: 'word', word: w })));
      i = word.end;
    }
    return { tokens, end: i };
  }

  /** One word starting at `start`: quotes, escapes, variables and substitutions resolved. */
  private word(start: number, to: number): { words: Word[]; end: number } | Error {
    const text = this.text;
    let i = start;
    let value = '';
    let glob = false;
    let braces = false;
    let producedBy: DataSource | undefined;
    while (i < to) {
      const c = text[i];
      if (/[\s;|&<>]/.test(c)) break;
      if (c === '\\') {
        const next = text[i + 1] ?? '';
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
        continue;
      }
      if (c === "'") {
        let j = i + 1;
        while (j < to && text[j] !== "'") {
          if (text[j] === '\\' && (text[j + 1] === "'" || text[j + 1] === '\\')) {
            value += text[j + 1];
            j += 2;
            continue;
          }
          value += text[j++];
        }
        if (j >= to) return new Error('unterminated quote');
        i = j + 1;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        while (j < to && text[j] !== '"') {
          if (text[j] === '\\' && /["\\$\n]/.test(text[j + 1] ?? '')) {
            value += text[j + 1] === '\n' ? '' : text[j + 1];
            j += 2;
            continue;
          }
          if (text[j] === '$' && text[j + 1] === '(') {
            const sub = this.substitution(j + 1, to);
            if (sub instanceof Error) return sub;
            value += sub.value;
            producedBy = sub.source;
            j = sub.end;
            continue;
          }
          if (text[j] === '$' && /[\w{]/.test(text[j + 1] ?? '')) {
            const v = this.variable(j + 1);
            value += v.value;
            j = v.end;
            continue;
          }
          value += text[j++];
        }
        if (j >= to) return new Error('unterminated quote');
        i = j + 1;
        continue;
      }
      if (c === '(' || (c === '$' && text[i + 1] === '(')) {
        const sub = this.substitution(c === '$' ? i + 1 : i, to);
        if (sub instanceof Error) return sub;
        value += sub.value;
        producedBy = sub.source;
        i = sub.end;
        continue;
      }
      if (c === ')') return new Error('unbalanced ")"');
      if (c === '$' && /[\w{]/.test(text[i + 1] ?? '')) {
        const v = this.variable(i + 1);
        value += v.value;
        i = v.end;
        continue;
      }
      if (c === '~' && value === '') {
        value += '~';
        i++;
        continue;
      }
      if (c === '*' || c === '?') glob = true;
      if (c === '{') braces = true;
      value += c;
      i++;
    }
    const word: Word = { value, span: { start, end: i }, glob };
    if (producedBy) word.producedBy = producedBy;
    if (braces && /\{[^{}]*,[^{}]*\}/.test(value)) word.braces = true;
    return { words: expandWord(word), end: i };
  }

  private variable(at: number): { value: string; end: number } {
    const m = /^\{?(\w+)\}?(\[[^\]]*\])?/.exec(this.text.slice(at));
    const name = m?.[1] ?? '';
    const end = at + (m?.[0].length ?? 0);
    if (this.env.has(name)) return { value: this.env.get(name)!, end };
    if (name in WELL_KNOWN) return { value: WELL_KNOWN[name], end };
    return { value: unknownValue(name), end };
  }

  /** `(command)`: runs now, in this shell; its output becomes the word. */
  private substitution(open: number, to: number): { value: string; end: number; source: DataSource } | Error {
    const close = matchingParen(this.text, open, to);
    if (close < 0) return new Error('unbalanced "("');
    const saved = this.analysis.saveDirectory();
    let last: SimpleCommand | undefined;
    try {
      last = this.run(open + 1, close);
    } finally {
      this.analysis.restoreDirectory(saved);
    }
    const span = { start: open, end: close + 1 };
    const source: DataSource = last ? commandOutput(last) : { kind: 'unknown', span };
    const value = source.kind === 'text' && !isDynamic(source.text) && source.text.length < 4096 ? source.text.replace(/\n+$/, '') : unknownValue('(' + this.text.slice(open + 1, close) + ')');
    return { value, end: close + 1, source };
  }
}

function matchingParen(text: string, open: number, to: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < to; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

function stageSpan(tokens: Token[]): Span {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const start = first.kind === 'op' ? first.span.start : first.word.span.start;
  const end = last.kind === 'op' ? last.span.end : last.word.span.end;
  return { start, end };
}
