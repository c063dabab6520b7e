// Turns tree-sitter-bash word nodes into the text the program will receive: quotes and escapes
// removed, variables assigned earlier in the line substituted, the rest marked as unknown.
import type { DataSource, Word } from '../command';
import { unknownValue } from '../markers';
import type { SyntaxNode } from './tree';

/** Variables whose meaning is known without running anything. */
const WELL_KNOWN: Record<string, string> = {
  HOME: '~',
  TMPDIR: '/tmp',
  TMP: '/tmp',
  TEMP: '/tmp',
  PWD: '.',
  // Whichever shell it is, HISTFILE names the history file.
  HISTFILE: '~/.bash_history',
  // The user's shell: whichever it is, it runs shell code.
  SHELL: 'sh',
  BASH: 'bash',
};

export interface WordContext {
  env: Map<string, string>;
  /** Output of a command or process substitution, when known (keyed by the node's start index). */
  substitution(node: SyntaxNode): DataSource | undefined;
}

export function resolveWord(node: SyntaxNode, ctx: WordContext): Word {
  const state: ResolveState = { glob: false, producedBy: undefined, depth: 0, braces: false };
  const value = resolve(node, ctx, state, false);
  const word: Word = { value, span: { start: node.startIndex, end: node.endIndex }, glob: state.glob };
  if (state.producedBy) word.producedBy = state.producedBy;
  if (state.braces) word.braces = true;
  return word;
}

/** Bash splits an unquoted `$IFS` into separate words: `rm${IFS}-rf${IFS}/` is `rm -rf /`. */
export const FIELD_SPLIT = '\uE002';

/** The words a shell makes of one word: `$IFS` splitting and brace expansion (`/{etc,usr}`). */
export function expandWord(word: Word): Word[] {
  let parts: string[] = word.value.includes(FIELD_SPLIT) ? word.value.split(FIELD_SPLIT).filter((p) => p !== '') : [word.value];
  if (word.braces) parts = parts.flatMap((p) => expandBraces(p, 0));
  if (parts.length === 1 && parts[0] === word.value) return [word];
  return parts.map((value) => ({ ...word, value }));
}

function expandBraces(text: string, depth: number): string[] {
  const m = /\{([^{}]*,[^{}]*)\}/.exec(text);
  if (!m || depth > 4) return [text];
  const before = text.slice(0, m.index);
  const after = text.slice(m.index + m[0].length);
  const options = m[1].split(',').slice(0, 32);
  return options.flatMap((o) => expandBraces(before + o + after, depth + 1)).slice(0, 64);
}

interface ResolveState {
  glob: boolean;
  producedBy: DataSource | undefined;
  depth: number;
  /** Unquoted `{a,b}` was present (brace expansion applies). */
  braces: boolean;
}

/** Words nested deeper than this (quotes in expansions in quotes...) are left unresolved. */
const MAX_WORD_DEPTH = 200;

function resolve(node: SyntaxNode, ctx: WordContext, state: ResolveState, inDoubleQuotes: boolean): string {
  if (state.depth >= MAX_WORD_DEPTH) return unknownValue('(too deeply nested)');
  state.depth++;
  try {
    return resolveNode(node, ctx, state, inDoubleQuotes);
  } finally {
    state.depth--;
  }
}

function resolveNode(node: SyntaxNode, ctx: WordContext, state: ResolveState, inDoubleQuotes: boolean): string {
  switch (node.type) {
    case 'word':
    case 'command_name':
    case 'concatenation':
      if (node.type === 'word') return unescapeUnquoted(node.text, state);
      return node.namedChildren.length === 0 ? unescapeUnquoted(node.text, state) : joinChildren(node, ctx, state, inDoubleQuotes);
    case 'number':
    case 'file_descriptor':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'ansi_c_string':
      return decodeAnsiC(node.text.slice(2, -1));
    case 'string':
    case 'translated_string':
      return resolveDoubleQuoted(node, ctx, state);
    case 'string_content':
      return unescapeDoubleQuoted(node.text);
    case 'simple_expansion':
    case 'expansion':
      return resolveExpansion(node, ctx, state, inDoubleQuotes);
    case 'command_substitution':
    case 'process_substitution': {
      const out = ctx.substitution(node);
      state.producedBy = out;
      if (node.type === 'command_substitution' && out?.kind === 'text') return out.text.replace(/\n+$/, '');
      return unknownValue(node.type === 'process_substitution' ? '(process substitution)' : '(' + node.text.slice(2, -1).slice(0, 40) + ')');
    }
    case 'arithmetic_expansion':
      return unknownValue('((arithmetic))');
    case 'brace_expression':
      return node.text;
    default:
      return node.text;
  }
}

function joinChildren(node: SyntaxNode, ctx: WordContext, state: ResolveState, inDoubleQuotes: boolean): string {
  let out = '';
  let last = node.startIndex;
  const text = node.text;
  for (const child of node.namedChildren) {
    // Text between named children (e.g. a bare `$` or `/`) is part of the word too.
    if (child.startIndex > last) out += unescapeUnquoted(text.slice(last - node.startIndex, child.startIndex - node.startIndex), state);
    out += resolve(child, ctx, state, inDoubleQuotes);
    last = child.endIndex;
  }
  if (last < node.endIndex) out += unescapeUnquoted(text.slice(last - node.startIndex), state);
  return out;
}

function resolveDoubleQuoted(node: SyntaxNode, ctx: WordContext, state: ResolveState): string {
  let out = '';
  const text = node.text;
  let last = node.startIndex + 1;
  const end = node.endIndex - 1;
  for (const child of node.namedChildren) {
    if (child.type === 'string') {
      // translated_string wraps a string
      out += resolveDoubleQuoted(child, ctx, state);
      last = child.endIndex;
      continue;
    }
    if (child.startIndex > last) out += unescapeDoubleQuoted(text.slice(last - node.startIndex, child.startIndex - node.startIndex));
    out += resolve(child, ctx, state, true);
    last = child.endIndex;
  }
  if (last < end) out += unescapeDoubleQuoted(text.slice(last - node.startIndex, end - node.startIndex));
  return out;
}

function resolveExpansion(node: SyntaxNode, ctx: WordContext, state: ResolveState, inDoubleQuotes: boolean): string {
  const nameNode = node.namedChildren.find((c) => c.type === 'variable_name' || c.type === 'special_variable_name');
  const name = nameNode?.text ?? node.text.replace(/^\$\{?/, '').replace(/\}$/, '');
  const simple = node.type === 'simple_expansion' || /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(node.text);
  if (name === 'IFS' && simple && !inDoubleQuotes && !ctx.env.has(name)) return FIELD_SPLIT;
  const known = ctx.env.get(name) ?? WELL_KNOWN[name];
  // Unquoted, a value with spaces becomes several words (X="-rf /"; rm $X).
  if (simple && known !== undefined && !inDoubleQuotes && /\s/.test(known)) return known.split(/\s+/).join(FIELD_SPLIT);
  if (simple) return known ?? unknownValue(name);
  // ${NAME:-default} and friends: use the default when the variable is unknown and the default is a plain word.
  const op = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-=])(.*)\}$/s.exec(node.text);
  if (op) {
    if (known !== undefined) return known;
    const fallback = node.namedChildren.find((c) => c !== nameNode);
    if (WELL_KNOWN[name] === undefined && fallback) return unknownValue(name);
    return fallback ? resolve(fallback, ctx, state, inDoubleQuotes) : unknownValue(name);
  }
  return unknownValue(name);
}

/** Backslash removal and glob detection for unquoted text. */
function unescapeUnquoted(text: string, state: ResolveState): string {
  if (text.includes('{') || text.includes(',')) state.braces = true;
  if (!text.includes('\\')) {
    if (/[*?[]/.test(text)) state.glob = true;
    return text;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        i++;
        continue;
      }
      if (i + 1 < text.length) out += text[++i];
      continue;
    }
    if (c === '*' || c === '?' || c === '[') state.glob = true;
    out += c;
  }
  return out;
}

function unescapeDoubleQuoted(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([\\$`"\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[++i];
    const simpleEscapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
    if (n in simpleEscapes) {
      out += simpleEscapes[n];
    } else if (n === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1));
      if (m) {
        out += String.fromCharCode(parseInt(m[0], 16));
        i += m[0].length;
      } else out += '\\x';
    } else if (n === 'u' || n === 'U') {
      const m = (n === 'u' ? /^[0-9a-fA-F]{1,4}/ : /^[0-9a-fA-F]{1,8}/).exec(body.slice(i + 1));
      if (m) {
        const cp = parseInt(m[0], 16);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
        i += m[0].length;
      } else out += '\\' + n;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i));
      out += String.fromCharCode(parseInt(m![0], 8) & 0xff);
      i += m![0].length - 1;
    } else if (n === 'c' && i + 1 < body.length) {
      out += String.fromCharCode(body.charCodeAt(++i) & 0x1f);
    } else {
      out += '\\' + n;
    }
  }
  return out;
}
