// The words of each simple command in a POSIX shell command line, for the previews that need a
// command's own arguments (find expressions, git, sed -i, chmod -R). Deliberately conservative:
// a command line with substitutions, unknown variables, subshells or here-documents is not split
// (the preview then relies on the assessor's effects alone), because a guess could show the wrong
// files. Glob characters that were quoted come back escaped with a backslash.

export interface Redirect {
  op: string;
  /** Target in pattern form (quoted glob characters escaped). */
  target: string;
}

export interface PlainCommand {
  /** Words in pattern form: unquoted glob characters as written, quoted ones escaped. */
  words: string[];
  redirects: Redirect[];
}

const OPERATORS = ['&&', '||', ';;', ';', '|&', '|', '&', '\n'];

/** The simple commands of a command line in order, or undefined when it is not plain enough to split safely. */
export function splitPlainCommands(text: string, home?: string): PlainCommand[] | undefined {
  const commands: PlainCommand[] = [];
  let current: PlainCommand = { words: [], redirects: [] };
  let i = 0;
  const finish = () => {
    if (current.words.length > 0 || current.redirects.length > 0) commands.push(current);
    current = { words: [], redirects: [] };
  };
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || (c === '\\' && text[i + 1] === '\n')) {
      i += c === '\\' ? 2 : 1;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const redirect = /^(\d*)(>>|>\||>&|&>>|&>|<<<|<<|<>|<&|>|<)/.exec(text.slice(i));
    if (redirect) {
      if (redirect[2].startsWith('<<')) return undefined; // here-documents: their text is not a path
      i += redirect[0].length;
      while (text[i] === ' ' || text[i] === '\t') i++;
      const word = readWord(text, i, home);
      if (!word) return undefined;
      i = word.end;
      if (!/^\d+$|^-$/.test(word.value) || !redirect[2].endsWith('&')) current.redirects.push({ op: redirect[2], target: word.value });
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      finish();
      i += op.length;
      continue;
    }
    if (c === '(' || c === ')' || c === '`') return undefined;
    // `{ ...; }` groups (a `{` or `}` standing alone); `{}` as in find -exec is an ordinary word.
    if ((c === '{' || c === '}') && /^[{}](\s|;|$)/.test(text.slice(i))) return undefined;
    const word = readWord(text, i, home);
    if (!word) return undefined;
    current.words.push(word.value);
    i = word.end;
  }
  finish();
  return commands;
}

/** One word from `start`, quotes removed; undefined when it holds an expansion that cannot be known. */
function readWord(text: string, start: number, home?: string): { value: string; end: number } | undefined {
  let value = '';
  let i = start;
  if (text[i] === '~' && (i + 1 === text.length || /[/\s;&|]/.test(text[i + 1]))) {
    if (!home) return undefined;
    value += escapeGlob(home);
    i++;
  }
  while (i < text.length) {
    const c = text[i];
    if (/[\s;&|<>()`]/.test(c)) break;
    if (c === '\\') {
      if (i + 1 < text.length) value += escapeGlob(text[i + 1]);
      i += 2;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return undefined;
      value += escapeGlob(text.slice(i + 1, close));
      i = close + 1;
    } else if (c === '"') {
      let j = i + 1;
      let inner = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && /["\\$`\n]/.test(text[j + 1] ?? '')) {
          inner += text[j + 1];
          j += 2;
          continue;
        }
        if (text[j] === '`') return undefined;
        if (text[j] === '$') {
          const variable = homeVariable(text, j, home);
          if (!variable) return undefined;
          inner += variable.value;
          j = variable.end;
          continue;
        }
        inner += text[j++];
      }
      if (j >= text.length) return undefined;
      value += escapeGlob(inner);
      i = j + 1;
    } else if (c === '$') {
      const variable = homeVariable(text, i, home);
      if (!variable) return undefined;
      value += escapeGlob(variable.value);
      i = variable.end;
    } else if (c === '{' && /[,.]/.test(text.slice(i, text.indexOf('}', i) + 1))) {
      return undefined; // brace expansion makes several words
    } else {
      value += c;
      i++;
    }
  }
  return { value, end: i };
}

/** `$HOME` / `${HOME}` are known; any other expansion is not. */
function homeVariable(text: string, at: number, home?: string): { value: string; end: number } | undefined {
  const match = /^\$(?:HOME\b|\{HOME\})/.exec(text.slice(at));
  if (!match || !home) return undefined;
  return { value: home, end: at + match[0].length };
}

function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}
