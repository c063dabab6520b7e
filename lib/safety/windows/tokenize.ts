// PowerShell and cmd.exe have no parser on npm that we can use synchronously, so this is a careful
// tokenizer of our own: quoting, escapes, variables, separators, pipelines, script blocks and
// subexpressions. It produces the same simple commands the bash walker does.
import type { DataSource, Dialect, Redirect, SimpleCommand, Word } from '../command';
import { commandBaseName } from '../command';
import type { Analysis } from '../judging';
import type { Span } from '../types';
import { unknownValue } from '../markers';
/* eslint-disable @typescript-eslint/no-require-imports */

const WINDOWS_ENV: Record<string, string> = {
  systemroot: 'C:\\Windows',
  windir: 'C:\\Windows',
  systemdrive: 'C:',
  programfiles: 'C:\\Program Files',
  'programfiles(x86)': 'C:\\Program Files (x86)',
  programdata: 'C:\\ProgramData',
  userprofile: 'C:\\Users\\~',
  home: 'C:\\Users\\~',
  homedrive: 'C:',
  appdata: 'C:\\Users\\~\\AppData\\Roaming',
  localappdata: 'C:\\Users\\~\\AppData\\Local',
  temp: 'C:\\Users\\~\\AppData\\Local\\Temp',
  tmp: 'C:\\Users\\~\\AppData\\Local\\Temp',
};

interface Token {
  kind: 'word' | 'op' | 'block' | 'subexpr';
  value: string;
  span: Span;
  glob?: boolean;
  /** PowerShell: the token started with a quote or a variable, so at the start of a statement it is
   *  an expression, not a command. */
  expression?: boolean;
  /** For blocks and subexpressions: the code inside and where it starts. */
  inner?: string;
  innerStart?: number;
}

export function analyseWindowsText(text: string, dialect: Dialect, analysis: Analysis): void {
  const vars = dialect === 'pwsh' ? literalAssignments(text) : new Map<string, string>();
  const tokens = dialect === 'cmd' ? tokenizeCmd(text) : tokenizePwsh(text, vars);
  if (tokens instanceof Error) {
    analysis.report('parse.failed', 'high', `Could not parse the ${dialect === 'cmd' ? 'cmd.exe' : 'PowerShell'} command (${tokens.message}); read it yourself before running it.`, { start: 0, end: text.length });
    return;
  }
  runStatements(tokens, dialect, analysis, vars, text);
  judgeScriptText(text, dialect, analysis);
}

/** What only the text shows: .NET calls in PowerShell expressions, cmd's self-replicating `%0|%0`. */
function judgeScriptText(text: string, dialect: Dialect, analysis: Analysis): void {
  const whole = { start: 0, end: text.length };
  if (dialect === 'cmd') {
    if (/%0\s*\^?\|\s*%0|start\s+("[^"]*"\s+)?%0/i.test(text)) analysis.report('sys.fork-bomb', 'critical', 'The batch file starts copies of itself without limit (a fork bomb); the machine runs out of processes.', whole);
    return;
  }
  const del = /\[(?:system\.)?io\.(directory|file)\]::delete\s*\(\s*([^,)]+?)\s*(,\s*\$true)?\s*\)/i.exec(text);
  if (del) {
    const raw = del[2].replace(/^['"]|['"]$/g, '');
    const value = /^\$(home|env:userprofile)$/i.test(raw) ? WINDOWS_ENV.home : /^\$env:(\w+)$/i.test(raw) ? WINDOWS_ENV[raw.slice(5).toLowerCase()] ?? unknownValue(raw) : raw;
    const recursive = del[1].toLowerCase() === 'directory' && !!del[3];
    (require('../rules/filesystem') as typeof import('../rules/filesystem')).judgeDeletion(analysis, { value, span: whole, glob: false }, analysis.classify(value), recursive, true);
  }
  if (/net\.sockets\.tcpclient/i.test(text) && /(iex|invoke-expression|getstream\(\))/i.test(text) && /(iex|invoke-expression|out-string|\.write\()/i.test(text)) {
    analysis.report('net.reverse-shell', 'critical', 'Connects to a remote host and runs what it sends: a reverse shell giving that host control of this machine.', whole);
  }
  if (/\[scriptblock\]::create\s*\(/i.test(text) && /(iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring|net\.webclient)/i.test(text)) {
    analysis.effect({ kind: 'exec-remote', target: { type: 'code', value: 'scriptblock' } }, 'Builds a script block from downloaded text and runs it without showing it first.', whole, 'net.pipe-to-interpreter');
  }
  if (/register-scheduledtask|new-scheduledtaskaction/i.test(text) && /(iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring|net\.webclient)[\s\S]*(\biex\b|invoke-expression)|(\biex\b|invoke-expression)[\s\S]*(iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)/i.test(text)) {
    analysis.effect({ kind: 'persist', severity: 'severe', target: { type: 'setting', value: 'scheduled task' } }, 'Schedules a task that downloads and runs remote code: whoever controls that server keeps control of this machine.', whole, 'persist.remote-code');
  }
  if (/remove-item\s[^|;]*hklm:\\(system|software\\microsoft\\windows)/i.test(text) && /-r(ecurse)?\b/i.test(text)) {
    analysis.report('win.registry-delete', 'critical', 'Deletes a whole branch of the machine\'s system registry: Windows will not start.', whole);
  }
  if (/\(get-psreadlineoption\)\.historysavepath/i.test(text) && /(remove-item|\bri\b|\bdel\b|clear-content|set-content|out-file)/i.test(text)) {
    analysis.effect({ kind: 'history', severity: 'normal', target: { type: 'path', value: 'PSReadLine history' } }, 'Deletes or overwrites the PowerShell command history.', whole, 'fs.rm-history');
  }
}

function runStatements(tokens: Token[], dialect: Dialect, analysis: Analysis, vars: Map<string, string>, text: string): void {
  let stage: Token[] = [];
  let previous: SimpleCommand | undefined;
  let pipedFrom: SimpleCommand | undefined;
  const flush = (endsPipe: boolean): void => {
    if (stage.length) {
      previous = runOne(stage, dialect, analysis, vars, pipedFrom, text);
    } else previous = undefined;
    stage = [];
    pipedFrom = endsPipe ? previous : undefined;
  };
  for (const tok of tokens) {
    if (tok.kind === 'op' && tok.value !== '>' && tok.value !== '>>' && !/^\d?>/.test(tok.value) && tok.value !== '<' && !/^\*>/.test(tok.value)) {
      flush(tok.value === '|');
      continue;
    }
    stage.push(tok);
  }
  flush(false);
}

type Items = { paths: Word[]; recursive: boolean; narrowed?: boolean };

/** While a `ForEach-Object { ... }` block is read: the items the pipeline hands it as `$_`. */
let blockItems: { items: Items; tool: string; span: Span; variable?: string } | undefined;

const PIPE_ITEM_FORM = /^\uE000([\w]+)\uE001(\.(fullname|pspath|path|name|directory|directoryname))?$/i;
/** `$_`, `$PSItem` (or the variable of `foreach ($f in ...)`), alone or as `.FullName`. */
const PIPE_ITEM = {
  test(value: string): boolean {
    const m = PIPE_ITEM_FORM.exec(value);
    return !!m && (/^(_|psitem)$/i.test(m[1]) || (blockItems?.variable !== undefined && m[1].toLowerCase() === blockItems.variable));
  },
};
const FOR_EACH = /^(foreach-object|%|foreach)$/i;

/** The code of a ForEach-Object block, with `$_` standing for each item listed upstream. */
function analyseBlock(tok: Token, dialect: Dialect, analysis: Analysis, upstream: { items: Items; tool: string; span: Span; variable?: string } | undefined): void {
  const saved = blockItems;
  blockItems = upstream;
  try {
    analysis.analyseNested(tok.inner!, dialect, tok.span);
    // `$_.Delete()` is an expression, not a command: it deletes each item as Remove-Item would.
    const del = upstream && new RegExp('\\$(_|psitem' + (upstream.variable ? '|' + upstream.variable : '') + ')\\.delete\\s*\\(\\s*(\\$true)?', 'i').exec(tok.inner!);
    if (del && upstream) {
      const args: Word[] = del[2] ? [{ value: '-Recurse', span: tok.span, glob: false }] : [];
      analysis.judge({ name: 'remove-item', nameWord: { value: 'Remove-Item', span: tok.span, glob: false }, args, redirects: [], stdin: { kind: 'unknown', span: upstream.span, tool: upstream.tool, items: upstream.items }, span: tok.span, dialect: 'pwsh', wrappers: [] });
    }
  } finally {
    blockItems = saved;
  }
}

/** Inside a ForEach-Object block, a command given `$_`: deleting commands receive the items as a
 *  pipeline would hand them (so `Remove-Item $_ -Recurse` over `Get-ChildItem $HOME -Recurse` is
 *  the whole home); other commands get a glob over the listed folders (many files at once). */
function withBlockItems(program: string, args: Word[]): { args: Word[]; stdin?: DataSource } {
  const { items, tool, span } = blockItems!;
  if (REMOVERS.has(program)) return { args: args.filter((w) => !PIPE_ITEM.test(w.value)), stdin: { kind: 'unknown', span, tool, items } };
  const glob = (w: Word): Word[] => items.paths.map((p) => ({ ...w, value: p.value.replace(/[\\/]+$/, '') + (items.recursive ? '\\**\\*' : '\\*'), glob: true }));
  return { args: args.flatMap((w) => (PIPE_ITEM.test(w.value) ? glob(w) : [w])) };
}

function runOne(tokens: Token[], dialect: Dialect, analysis: Analysis, vars: Map<string, string>, pipedFrom: SimpleCommand | undefined, text: string): SimpleCommand | undefined {
  // Code in script blocks and subexpressions runs too; a ForEach-Object block once per piped item.
  const forEach = dialect === 'pwsh' && tokens[0]?.kind === 'word' && FOR_EACH.test(tokens[0].value);
  let upstream = forEach && pipedFrom ? listedItems(pipedFrom) : undefined;
  let source = pipedFrom ? { tool: pipedFrom.name, span: pipedFrom.span } : undefined;
  // `foreach ($f in Get-ChildItem C:\ -Recurse) { Remove-Item $f ... }`: $f is each item listed.
  let variable: string | undefined;
  const head = forEach && tokens[1]?.kind === 'subexpr' ? /^\s*\$(\w+)\s+in\s+([\s\S]+)$/i.exec(tokens[1].inner ?? '') : null;
  if (head) {
    variable = head[1].toLowerCase();
    const listTokens = tokenizePwsh(head[2].replace(/^\(([\s\S]*)\)\s*$/, '$1'), vars);
    if (!(listTokens instanceof Error) && listTokens.length && listTokens.every((t) => t.kind === 'word')) {
      const lister: SimpleCommand = { name: commandBaseName(listTokens[0].value), nameWord: toWord(listTokens[0]), args: listTokens.slice(1).map(toWord), redirects: [], span: tokens[1].span, dialect, wrappers: [] };
      upstream = listedItems(lister);
      source = { tool: lister.name, span: tokens[1].span };
    }
  }
  for (const tok of tokens) {
    if ((tok.kind === 'block' || tok.kind === 'subexpr') && tok.inner !== undefined && tok.inner.trim()) {
      if (tok === tokens[1] && head && upstream) continue;
      if (tok.kind === 'block' && forEach) analyseBlock(tok, dialect, analysis, upstream && source ? { items: upstream, ...source, variable } : undefined);
      else analysis.analyseNested(tok.inner, dialect, tok.span);
    }
  }
  if (dialect === 'cmd') tokens = withForVariable(tokens, analysis);
  let words = tokens.filter((t) => t.kind !== 'op');
  const redirects: Redirect[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'op' && /^(\d|\*)?>>?$/.test(t.value) && tokens[i + 1]) {
      redirects.push({ op: t.value.replace(/^[\d*]/, ''), target: toWord(tokens[i + 1]), span: { start: t.span.start, end: tokens[i + 1].span.end } });
      words = words.filter((w) => w !== tokens[i + 1]);
    }
  }
  if (dialect === 'pwsh' && words.length >= 2 && /^\$[\w:]+$/.test(words[0].value) && words[1].value === '=') return undefined; // $x = ... (read by literalAssignments)
  // A statement starting with a value (`$_.CPU -gt 1`, `"text" | Out-File`) is an expression, not a command;
  // `& $cmd` and `. .\x.ps1` invoke one.
  const invoked = words.length > 0 && (words[0].value === '&' || words[0].value === '.');
  if (dialect === 'pwsh' && !invoked && words[0]?.expression) return undefined;
  while (words.length && (words[0].value === '&' || words[0].value === '.' || words[0].value === '@')) words = words.slice(1);
  if (dialect === 'cmd') words = stripCmdControl(words, analysis);
  if (!words.length) return undefined;
  const [name, ...args] = words;
  if (name.kind === 'block' || name.kind === 'subexpr') return undefined;
  let stdin: DataSource | undefined = pipedFrom ? { kind: 'unknown', span: pipedFrom.span, tool: pipedFrom.name, items: listedItems(pipedFrom) } : undefined;
  const program = commandBaseName(name.value);
  let argWords = args.map(toWord);
  if (blockItems && !stdin && argWords.some((w) => PIPE_ITEM.test(w.value))) ({ args: argWords, stdin } = withBlockItems(program, argWords));
  const cmd: SimpleCommand = {
    name: program,
    nameWord: toWord(name),
    args: argWords,
    redirects,
    stdin,
    span: { start: tokens[0].span.start, end: tokens[tokens.length - 1].span.end },
    dialect,
    wrappers: [],
    source: text.slice(tokens[0].span.start, tokens[tokens.length - 1].span.end),
  };
  return analysis.judge(cmd);
}

const DOWNLOAD_EXPRESSION = /^\s*(\(\s*)?(invoke-webrequest|iwr|invoke-restmethod|irm|curl|wget|(new-object\s+(system\.)?net\.webclient\s*\)?\s*\.\s*download(string|data))|\[?(system\.)?net\.webclient\]?)/i;

function toWord(tok: Token): Word {
  const word: Word = { value: tok.value, span: tok.span, glob: tok.glob ?? false };
  // `(iwr URL)` / `(New-Object Net.WebClient).DownloadString(URL)` as an argument: its value comes from the network.
  if (tok.kind === 'subexpr' && tok.inner !== undefined && DOWNLOAD_EXPRESSION.test(tok.inner)) word.producedBy = { kind: 'network', span: tok.span, tool: tok.inner.trim().split(/[\s(]/)[0] || 'a download' };
  return word;
}

/** `for [/d|/r [root]] %i in (set) do cmd %i > %i.bak`: the variable stands for every item of the set
 *  (with /r, matched in every folder below), in the command's words and its redirections alike. */
function withForVariable(tokens: Token[], analysis: Analysis): Token[] {
  const start = tokens.findIndex((t) => t.kind === 'word' && /^for$/i.test(t.value));
  if (start < 0) return tokens;
  const inAt = tokens.findIndex((t, k) => k > start && t.kind === 'word' && /^in$/i.test(t.value));
  const doAt = tokens.findIndex((t, k) => k > inAt && t.kind === 'word' && /^do$/i.test(t.value));
  if (inAt < 0 || doAt < 0) return tokens;
  const header = tokens.slice(start + 1, inAt).map((t) => t.value);
  const variable = header.find((v) => /^%%?[a-z]$/i.test(v));
  const flags = header.map((v) => v.toLowerCase());
  if (!variable || flags.includes('/f') || flags.includes('/l')) return tokens;
  const set = tokens[inAt + 1]?.value ?? '';
  const rootAt = flags.indexOf('/r');
  const root = rootAt >= 0 && header[rootAt + 1] && !/^%/.test(header[rootAt + 1]) ? header[rootAt + 1] : rootAt >= 0 ? analysis.resolve('.') : undefined;
  const value = set.split(/[\s,;]+/).filter(Boolean).map((item) => (root !== undefined ? root.replace(/[\\/]+$/, '') + '\\**\\' + item : item)).join(' ');
  const pattern = new RegExp('%%?' + variable.replace(/^%+/, '') + '(?![a-z0-9])', 'gi');
  const uses = new RegExp(pattern.source, 'i');
  return tokens.map((t, k) => (k > doAt && t.kind === 'word' && uses.test(t.value) ? { ...t, value: t.value.replace(pattern, value), glob: t.glob || /[*?]/.test(value) } : t));
}

/** `if exist x del y`, `for %i in (*) do del %i`, `@echo off`: find the command that runs. A `for`
 *  variable stands for every item of its set (`for /d %i in (C:\Users\*) do rd /s /q "%i"` removes
 *  every folder in C:\Users); with /r the set is matched in every folder below. */
function stripCmdControl(words: Token[], analysis?: Analysis): Token[] {
  let w = words;
  for (let guard = 0; guard < 8 && w.length; guard++) {
    const head = w[0].value.toLowerCase();
    if (head === 'if') {
      let i = 1;
      if (w[i]?.value.toLowerCase() === '/i') i++;
      if (w[i]?.value.toLowerCase() === 'not') i++;
      const kind = w[i]?.value.toLowerCase();
      if (kind === 'exist' || kind === 'defined' || kind === 'errorlevel') i += 2;
      else if (w[i + 1] && /^(==|equ|neq|lss|leq|gtr|geq)$/i.test(w[i + 1].value)) i += 3;
      else i += 1;
      w = w.slice(i);
      continue;
    }
    if (head === 'for') {
      const doAt = w.findIndex((t) => t.value.toLowerCase() === 'do');
      const inAt = w.findIndex((t) => t.value.toLowerCase() === 'in');
      const variable = w.slice(1, inAt >= 0 ? inAt : undefined).find((t) => /^%%?[a-z]$/i.test(t.value))?.value;
      const flags = w.slice(1, inAt >= 0 ? inAt : 1).map((t) => t.value.toLowerCase());
      const set = inAt >= 0 ? w[inAt + 1]?.value : undefined;
      const recursive = flags.includes('/r');
      const root = recursive ? w.slice(1, inAt).find((t, k, all) => all[k - 1]?.value.toLowerCase() === '/r' && !/^%/.test(t.value))?.value : undefined;
      w = doAt >= 0 ? w.slice(doAt + 1) : [];
      if (variable && set !== undefined && !flags.includes('/f') && !flags.includes('/l')) {
        const items = set.split(/[\s,;]+/).filter(Boolean).map((item) => (recursive ? (root ?? analysis?.resolve('.') ?? '.').replace(/[\\/]+$/, '') + '\\**\\' + item : item));
        const value = items.join(' ');
        const name = variable.replace(/^%+/, '');
        const pattern = new RegExp('%%?' + name + '(?![a-z0-9])', 'gi');
        const uses = new RegExp(pattern.source, 'i');
        w = w.map((t) => (t.kind === 'word' && uses.test(t.value) ? { ...t, value: t.value.replace(pattern, value), glob: t.glob || /[*?]/.test(value) } : t));
      }
      continue;
    }
    if (head === 'call') {
      w = w.slice(1);
      continue;
    }
    break;
  }
  return w;
}

/** `if exist x (`, `if "%a%"=="b" (`, `if errorlevel 1 (`: the bracket after an if condition opens a group. */
function groupOpensCondition(tokens: Token[]): boolean {
  let k = tokens.length - 1;
  while (k >= 0 && tokens[k].kind !== 'op') k--;
  return /^if$/i.test(tokens[k + 1]?.value ?? '') || /^else$/i.test(tokens[k + 1]?.value ?? '');
}

function tokenizeCmd(text: string): Token[] | Error {
  const tokens: Token[] = [];
  let groups = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    if (c === '(' && tokens.length && /^in$/i.test(tokens[tokens.length - 1].value)) {
      // `for %i in (*.log) do ...`: the set is one word, not a group.
      const end = text.indexOf(')', i);
      const close = end < 0 ? text.length : end;
      tokens.push({ kind: 'word', value: expandPercent(text.slice(i + 1, close)), span: { start: i, end: close + 1 } });
      i = close + 1;
      continue;
    }
    if (c === '(' || c === ')') {
      // A bracket groups commands only where a command starts (`(del a & del b)`, `if x (...)`,
      // `do (...)`) or closes such a group; inside an argument (`Everyone:(OI)(CI)F`) it is text.
      const last = tokens[tokens.length - 1];
      const grouping = c === '(' ? !last || last.kind === 'op' || /^(do|else|exist)$/i.test(last.value) || groupOpensCondition(tokens) : groups > 0;
      if (grouping) {
        groups += c === '(' ? 1 : -1;
        tokens.push({ kind: 'op', value: ';', span: { start: i, end: i + 1 } });
        i++;
        continue;
      }
    }
    if (c === '\r' || c === '\n') {
      tokens.push({ kind: 'op', value: ';', span: { start: i, end: i + 1 } });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      tokens.push({ kind: 'op', value: two, span: { start: i, end: i + 2 } });
      i += 2;
      continue;
    }
    if (c === '&' || c === '|') {
      tokens.push({ kind: 'op', value: c, span: { start: i, end: i + 1 } });
      i++;
      continue;
    }
    const redir = /^(\d?>>?|<)(&\d)?/.exec(text.slice(i));
    if (redir && (c === '>' || c === '<' || /\d/.test(c) && redir[0].length > 1)) {
      if (redir[2]) {
        i += redir[0].length;
        continue;
      }
      tokens.push({ kind: 'op', value: redir[1], span: { start: i, end: i + redir[0].length } });
      i += redir[0].length;
      continue;
    }
    // A word: quotes group, ^ escapes, %VAR% expands.
    const start = i;
    let value = '';
    let glob = false;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '^' && i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      if (ch === '"') {
        const end = text.indexOf('"', i + 1);
        const inner = end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
        value += expandPercent(inner);
        i = end < 0 ? text.length : end + 1;
        continue;
      }
      if (/[ \t&|<>\r\n]/.test(ch) || ((ch === '(' || ch === ')') && (value === '' || (ch === ')' && groups > 0 && !/\([^)]*$/.test(value)))) || (/\d/.test(ch) && text[i + 1] === '>' && value === '')) break;
      if (ch === '%') {
        const end = text.indexOf('%', i + 1);
        if (end > i + 1 && /^[\w()~:,=-]+$/.test(text.slice(i + 1, end))) {
          value += expandPercent(text.slice(i, end + 1));
          i = end + 1;
          continue;
        }
      }
      if (ch === '*' || ch === '?') glob = true;
      value += ch;
      i++;
    }
    if (i === start) {
      i++;
      continue;
    }
    tokens.push({ kind: 'word', value, span: { start, end: i }, glob });
  }
  return tokens;
}

function expandPercent(text: string): string {
  // (A name has no spaces or quotes: in `(gc '%f') | Set-Content '%f'` the two %f are for-loop variables.)
  return text.replace(/%([^%:~\s'"|&<>]+)(?::[^%]*)?%/g, (_m, name: string) => WINDOWS_ENV[name.toLowerCase()] ?? unknownValue(name)).replace(/!([A-Za-z_][\w]*)!/g, (_m, name: string) => unknownValue(name));
}

function tokenizePwsh(text: string, vars: Map<string, string>): Token[] | Error {
  const tokens: Token[] = [];
  let i = 0;
  const expandVar = (name: string): string => {
    const lower = name.toLowerCase();
    if (lower.startsWith('env:')) return WINDOWS_ENV[lower.slice(4)] ?? unknownValue(name);
    if (lower === 'home') return WINDOWS_ENV.home;
    if (lower === 'profile') return WINDOWS_ENV.home + '\\Documents\\PowerShell\\Microsoft.PowerShell_profile.ps1';
    return vars.get(lower) ?? unknownValue(name);
  };
  const expandDouble = (inner: string): string =>
    inner
      .replace(/`(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', 0: '\0', a: '\x07' } as Record<string, string>)[c] ?? c)
      .replace(/\$\(([^)]*)\)/g, () => unknownValue('(subexpression)'))
      .replace(/\$\{([^}]+)\}|\$((?:env:)?[A-Za-z_][\w]*)/gi, (_m, braced: string | undefined, plain: string | undefined) => expandVar(braced ?? plain ?? ''));
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (text.startsWith('<#', i)) {
      const end = text.indexOf('#>', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (c === '\r' || c === '\n' || c === ';') {
      tokens.push({ kind: 'op', value: ';', span: { start: i, end: i + 1 } });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      tokens.push({ kind: 'op', value: two, span: { start: i, end: i + 2 } });
      i += 2;
      continue;
    }
    if (c === '|') {
      tokens.push({ kind: 'op', value: '|', span: { start: i, end: i + 1 } });
      i++;
      continue;
    }
    const redir = /^([1-6*]?>>?)(&[12])?/.exec(text.slice(i));
    if (redir && (c === '>' || text[i + 1] === '>')) {
      i += redir[0].length;
      if (!redir[2]) tokens.push({ kind: 'op', value: redir[1], span: { start: i - redir[0].length, end: i } });
      continue;
    }
    if (c === '{' || (c === '$' && text[i + 1] === '(') || c === '(' || (c === '@' && (text[i + 1] === '(' || text[i + 1] === '{'))) {
      const open = c === '{' ? '{' : '(';
      const startInner = c === '$' || c === '@' ? i + 2 : i + 1;
      const end = matchingClose(text, startInner, open, open === '{' ? '}' : ')');
      if (end < 0) return new Error(`unbalanced "${open}"`);
      tokens.push({
        kind: c === '{' || (c === '@' && text[i + 1] === '{') ? 'block' : 'subexpr',
        value: unknownValue(c === '{' ? '{block}' : '(subexpression)'),
        span: { start: i, end: end + 1 },
        inner: text.slice(startInner, end),
        innerStart: startInner,
      });
      i = end + 1;
      continue;
    }
    if (text.startsWith("@'", i) || text.startsWith('@"', i)) {
      const q = text[i + 1];
      const end = text.indexOf('\n' + q + '@', i + 2);
      if (end < 0) return new Error('unterminated here-string');
      const inner = text.slice(text.indexOf('\n', i) + 1, end);
      tokens.push({ kind: 'word', value: q === '"' ? expandDouble(inner) : inner, span: { start: i, end: end + 3 } });
      i = end + 3;
      continue;
    }
    const start = i;
    let value = '';
    let glob = false;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '`' && i + 1 < text.length) {
        value += text[i + 1] === '\n' ? '' : text[i + 1];
        i += 2;
        continue;
      }
      if (ch === "'") {
        let j = i + 1;
        let inner = '';
        for (;;) {
          if (j >= text.length) return new Error('unterminated string');
          if (text[j] === "'" && text[j + 1] === "'") {
            inner += "'";
            j += 2;
            continue;
          }
          if (text[j] === "'") break;
          inner += text[j++];
        }
        value += inner;
        i = j + 1;
        continue;
      }
      if (ch === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === '`' ? 2 : 1;
        if (j >= text.length) return new Error('unterminated string');
        value += expandDouble(text.slice(i + 1, j));
        i = j + 1;
        continue;
      }
      if (/[\s;|{}()]/.test(ch) || (ch === '>' && value === '')) break;
      if (ch === '$' && value === '') {
        const m = /^\$\{([^}]+)\}|^\$((?:env:)?[A-Za-z_][\w]*|_|\?)/i.exec(text.slice(i));
        if (m) {
          const name = m[1] ?? m[2];
          value += name === '_' || name === '?' ? unknownValue(name) : expandVar(name);
          i += m[0].length;
          // `$x = ...` keeps its name for the assignment check.
          if (/^\s*=(?!=)/.test(text.slice(i))) value = '$' + name;
          continue;
        }
      }
      if (ch === '*' || ch === '?') glob = true;
      value += ch;
      i++;
    }
    if (i === start) {
      i++;
      continue;
    }
    if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) value = WINDOWS_ENV.home + value.slice(1);
    tokens.push({ kind: 'word', value, span: { start, end: i }, glob, expression: /^["'$]|^\d/.test(text[start]) });
  }
  return tokens;
}

function matchingClose(text: string, from: number, open: string, close: string): number {
  let depth = 1;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '`' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '`') i++;
    else if (c === open || (open === '(' && c === '(')) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return -1;
}

/** `$p = "C:\\Windows"` anywhere in the text: literal values for variables used later. */
function literalAssignments(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/(?:^|[;\n{(])\s*\$([A-Za-z_]\w*)\s*=\s*(?:'([^']*)'|"([^"$`]*)"|([^\s;|$()'"`]+))/g)) {
    vars.set(m[1].toLowerCase(), m[2] ?? m[3] ?? m[4]);
  }
  return vars;
}

/** Commands that delete what a pipeline hands them. */
const REMOVERS = new Set(['remove-item', 'ri', 'rm', 'del', 'erase', 'rd', 'rmdir']);

const LISTERS = new Set(['get-childitem', 'gci', 'ls', 'dir', 'get-item', 'gi']);

/** The paths a listing command (`Get-ChildItem C:\\ -Recurse`) hands down a pipeline. */
/** Cmdlets that pass on (some of) the items they receive: a filtered listing is still a listing. */
const FILTERS = new Set(['where-object', 'where', '?', 'sort-object', 'sort', 'select-object', 'select']);

function listedItems(cmd: SimpleCommand): { paths: Word[]; recursive: boolean; narrowed?: boolean } | undefined {
  // Where-Object keeps some of the items; Sort-Object and Select-Object (without -First) keep all.
  if (FILTERS.has(cmd.name) && cmd.stdin?.kind === 'unknown' && cmd.stdin.items) return { ...cmd.stdin.items, narrowed: cmd.stdin.items.narrowed || /^(where-object|where|\?)$/.test(cmd.name) || cmd.args.some((w) => /^-(first|last|skip)/i.test(w.value)) };
  // Get-CimInstance Win32_ShadowCopy: the objects of a class (named, for whoever removes them).
  if (/^(get-ciminstance|gcim|get-wmiobject|gwmi)$/.test(cmd.name)) return { paths: cmd.args.filter((w) => !w.value.startsWith('-')), recursive: false };
  // Get-Process alone lists every process; with a name or id only those.
  if (/^(get-process|gps|ps)$/.test(cmd.name)) {
    const named = cmd.args.some((w, k) => /^-(name|id|processname|inputobject)$/i.test(w.value) || (!w.value.startsWith('-') && !/^-/.test(cmd.args[k - 1]?.value ?? '')));
    return { paths: [], recursive: false, narrowed: named };
  }
  if (!LISTERS.has(cmd.name)) return undefined;
  const paths: Word[] = [];
  let recursive = false;
  for (let i = 0; i < cmd.args.length; i++) {
    const v = cmd.args[i].value;
    if (/^-r(e(c(u(r(se?)?)?)?)?)?$/i.test(v)) recursive = true;
    else if (/^-(path|literalpath|lp)$/i.test(v) && cmd.args[i + 1]) paths.push(cmd.args[++i]);
    else if (/^-/.test(v)) {
      if (/^-(filter|include|exclude|depth|attributes)$/i.test(v)) i++;
    } else paths.push(cmd.args[i]);
  }
  const narrowed = cmd.args.some((w) => /^-(filter|include|exclude)$/i.test(w.value));
  return { paths: paths.length ? paths : [{ value: '.', span: cmd.span, glob: false }], recursive, narrowed };
}
