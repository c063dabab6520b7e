// Walks a tree-sitter-bash syntax tree statement by statement, handing every simple command (with its
// redirections and where its input comes from) to the analysis.
import type { DataSource, Redirect, SimpleCommand, Word } from '../command';
import { commandBaseName, foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { Span } from '../types';
import { bashParser } from './parser';
import { copyTree, firstError, SyntaxNode } from './tree';
import { expandWord, resolveWord, WordContext } from './words';
import { unknownValue } from '../markers';
import { commandOutput } from '../rules/data-flow';

interface Io {
  stdin?: DataSource;
  redirects?: Redirect[];
}

export function analyseBashText(text: string, analysis: Analysis): void {
  const parser = bashParser();
  const whole: Span = { start: 0, end: text.length };
  if (parser instanceof Error) {
    analysis.report('parse.unavailable', 'high', `The shell parser could not be loaded (${parser.message}); the command was not inspected. Reinstall cmdai, then try again.`, whole);
    return;
  }
  let tree;
  try {
    tree = parser.parse(text, null, { bufferSize: text.length * 2 + 1024 });
  } catch (err) {
    analysis.report('parse.failed', 'high', `Could not parse the command (${err instanceof Error ? err.message : String(err)}); read it yourself before running it.`, whole);
    return;
  }
  const hasError = tree.rootNode.hasError;
  const root = copyTree(tree, text);
  if (hasError) {
    const found = firstError(root) ?? whole;
    // A missing token is reported just past the end of the text; point at the last character instead.
    const start = Math.max(0, Math.min(found.start, text.length - 1));
    const at = { start, end: Math.max(start + 1, Math.min(found.end, text.length)) };
    analysis.report('parse.failed', 'high', 'Could not parse the command: the shell syntax is invalid or unsupported here, so it was not fully inspected. Read it yourself before running it.', at);
  }
  new BashWalker(analysis).visit(root, {});
}


const REDIRECT_TYPES = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);
const WORD_TYPES = new Set(['word', 'string', 'raw_string', 'ansi_c_string', 'translated_string', 'concatenation', 'simple_expansion', 'expansion', 'command_substitution', 'process_substitution', 'arithmetic_expansion', 'number', 'brace_expression']);

/** Deeper syntax than this is not inspected (and says so); it keeps the walk off the stack limit. */
const MAX_SYNTAX_DEPTH = 250;

class BashWalker {
  private readonly env = new Map<string, string>();
  private depth = 0;
  private tooDeepReported = false;
  private readonly substitutions = new Map<number, DataSource | undefined>();
  private readonly wordContext: WordContext;

  constructor(private readonly analysis: Analysis) {
    this.wordContext = {
      env: this.env,
      substitution: (node) => this.substitutions.get(node.startIndex),
    };
  }

  /** Visits a statement; returns the last simple command it ran (for the next stage of a pipeline). */
  visit(node: SyntaxNode, io: Io): SimpleCommand | undefined {
    if (!this.enter(node)) return undefined;
    try {
      return this.visitNode(node, io);
    } finally {
      this.depth--;
    }
  }

  private enter(node: SyntaxNode): boolean {
    if (this.depth >= MAX_SYNTAX_DEPTH) {
      if (!this.tooDeepReported) {
        this.tooDeepReported = true;
        this.analysis.report('parse.too-deep', 'high', `The command nests more than ${MAX_SYNTAX_DEPTH} levels deep; the inner part was not inspected. Read it yourself before running it.`, span(node));
      }
      return false;
    }
    this.depth++;
    return true;
  }

  private visitNode(node: SyntaxNode, io: Io): SimpleCommand | undefined {
    switch (node.type) {
      case 'command':
        return this.command(node, io);
      case 'redirected_statement':
        return this.redirected(node, io);
      case 'pipeline':
        return this.pipeline(node, io);
      case 'variable_assignment':
        this.assignment(node);
        return undefined;
      case 'declaration_command':
        for (const child of node.namedChildren) {
          if (child.type === 'variable_assignment') this.assignment(child);
          else this.scan(child);
        }
        return undefined;
      case 'function_definition':
        this.functionDefinition(node);
        return undefined;
      case 'command_substitution':
      case 'process_substitution':
        return this.substitution(node);
      case 'for_statement': {
        // `for x in a b c; do ...`: x takes those values; judged as if it held all of them at once.
        const variable = node.namedChildren.find((c) => c.type === 'variable_name');
        const values = node.namedChildren.filter((c) => WORD_TYPES.has(c.type));
        for (const v of values) this.scan(v);
        if (variable && values.length) {
          const words = values.flatMap((v) => expandWord(resolveWord(v, this.wordContext)));
          this.env.set(variable.text, words.map((w) => w.value).join(' '));
        } else if (variable) this.env.set(variable.text, unknownValue(variable.text));
        let last: SimpleCommand | undefined;
        for (const child of node.namedChildren) if (!WORD_TYPES.has(child.type) && child !== variable) last = this.visit(child, io) ?? last;
        return last;
      }
      case 'subshell': {
        // `( cd /etc && ... )`: the directory change stays inside the parentheses.
        const saved = this.analysis.saveDirectory();
        try {
          let last: SimpleCommand | undefined;
          for (const child of node.namedChildren) {
            if (WORD_TYPES.has(child.type)) this.scan(child);
            else last = this.visit(child, io) ?? last;
          }
          return last;
        } finally {
          this.analysis.restoreDirectory(saved);
        }
      }
      case 'comment':
      case 'heredoc_start':
      case 'heredoc_end':
        return undefined;
      case 'heredoc_body':
        this.scan(node);
        return undefined;
      default: {
        let last: SimpleCommand | undefined;
        for (const child of node.namedChildren) {
          if (WORD_TYPES.has(child.type)) this.scan(child);
          else last = this.visit(child, io) ?? last;
        }
        return last;
      }
    }
  }

  /** Runs the commands inside any substitutions in a word (they execute even as arguments to echo). */
  private scan(node: SyntaxNode): void {
    if (node.type === 'command_substitution' || node.type === 'process_substitution') {
      this.substitution(node);
      return;
    }
    if (!this.enter(node)) return;
    try {
      for (const child of node.namedChildren) this.scan(child);
    } finally {
      this.depth--;
    }
  }

  private substitution(node: SyntaxNode): SimpleCommand | undefined {
    if (this.substitutions.has(node.startIndex)) return undefined;
    let last: SimpleCommand | undefined;
    let lastNode: SyntaxNode | undefined;
    const saved = this.analysis.saveDirectory();
    try {
      for (const child of node.namedChildren) {
        last = this.visit(child, {}) ?? last;
        lastNode = child;
      }
    } finally {
      this.analysis.restoreDirectory(saved);
    }
    this.substitutions.set(node.startIndex, last && lastNode ? commandOutput(last) : { kind: 'unknown', span: span(node) });
    return last;
  }

  private assignment(node: SyntaxNode): void {
    const name = node.namedChildren.find((c) => c.type === 'variable_name')?.text;
    const valueNode = node.namedChildren.find((c) => c.type !== 'variable_name');
    if (valueNode) this.scan(valueNode);
    if (!name) return;
    if (!valueNode) {
      this.env.set(name, '');
      return;
    }
    const word = resolveWord(valueNode, this.wordContext);
    this.env.set(name, word.value);
  }

  private functionDefinition(node: SyntaxNode): void {
    const nameNode = node.childForFieldName('name') ?? node.namedChildren.find((c) => c.type === 'word');
    const body = node.childForFieldName('body') ?? node.namedChildren[node.namedChildren.length - 1];
    const name = nameNode?.text;
    if (name && body && callsItselfConcurrently(body, name)) {
      this.analysis.report('sys.fork-bomb', 'critical', `"${name}" starts copies of itself without limit (a fork bomb); it exhausts the machine's processes until it is rebooted.`, span(node));
    }
    if (body) this.visit(body, {});
  }

  private pipeline(node: SyntaxNode, io: Io): SimpleCommand | undefined {
    const stages = node.namedChildren.filter((c) => c.type !== 'comment');
    let previous: SimpleCommand | undefined;
    let previousNode: SyntaxNode | undefined;
    for (let i = 0; i < stages.length; i++) {
      const stdin: DataSource | undefined = i === 0 ? io.stdin : previous ? commandOutput(previous) : { kind: 'unknown', span: span(previousNode!) };
      previous = this.visit(stages[i], { stdin, redirects: i === stages.length - 1 ? io.redirects : undefined });
      previousNode = stages[i];
    }
    return previous;
  }

  private redirected(node: SyntaxNode, io: Io): SimpleCommand | undefined {
    const redirects: Redirect[] = [...(io.redirects ?? [])];
    let stdin = io.stdin;
    let body: SyntaxNode | undefined;
    for (const child of node.namedChildren) {
      if (REDIRECT_TYPES.has(child.type)) {
        const found = this.redirect(child);
        if (found.redirect) redirects.push(found.redirect);
        if (found.stdin) stdin = found.stdin;
      } else if (!body && child.type !== 'comment') {
        body = child;
      } else {
        this.visit(child, {});
      }
    }
    if (!body) {
      // Only redirections, e.g. `> /etc/passwd`: judge them as a command that does nothing else.
      if (redirects.length) this.analysis.judge(this.pseudoCommand(node, redirects, stdin));
      return undefined;
    }
    return this.visit(body, { stdin, redirects });
  }

  private redirect(node: SyntaxNode): { redirect?: Redirect; stdin?: DataSource } {
    if (node.type === 'heredoc_redirect') {
      const bodyNode = node.namedChildren.find((c) => c.type === 'heredoc_body');
      const start = node.namedChildren.find((c) => c.type === 'heredoc_start')?.text ?? '';
      if (!bodyNode) return {};
      const quoted = /['"\\]/.test(start);
      if (!quoted) this.scan(bodyNode); // $(...) in an unquoted heredoc runs
      let text = bodyNode.text;
      if (node.text.startsWith('<<-')) text = text.replace(/^\t+/gm, '');
      // The body may include the terminator line on some inputs.
      const delimiter = start.replace(/^['"]|['"]$/g, '').replace(/\\/g, '');
      text = text.replace(new RegExp('\\n?[\\t ]*' + delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\s*$'), '\n');
      return { stdin: { kind: 'text', text, span: span(bodyNode) } };
    }
    if (node.type === 'herestring_redirect') {
      const target = node.namedChildren.find((c) => WORD_TYPES.has(c.type));
      if (!target) return {};
      this.scan(target);
      const word = resolveWord(target, this.wordContext);
      return { stdin: word.producedBy && word.producedBy.kind !== 'text' ? word.producedBy : { kind: 'text', text: word.value + '\n', span: word.span } };
    }
    // file_redirect: [fd] op target
    const op = node.children.find((c) => !c.isNamed)?.type ?? '>';
    const targetNode = node.childForFieldName('destination') ?? node.namedChildren.filter((c) => c.type !== 'file_descriptor').pop();
    if (!targetNode) return {};
    this.scan(targetNode);
    const target = resolveWord(targetNode, this.wordContext);
    const fd = node.namedChildren.find((c) => c.type === 'file_descriptor')?.text;
    const redirect: Redirect = { op, target, span: span(node), ...(fd !== undefined ? { fd } : {}) };
    // `cmd < file`: stdin is that file's contents (code for `bash -s < setup.sh`).
    if (op === '<') return { redirect, stdin: target.producedBy ?? { kind: 'file', span: target.span } };
    return { redirect };
  }

  private command(node: SyntaxNode, io: Io): SimpleCommand | undefined {
    const redirects: Redirect[] = [...(io.redirects ?? [])];
    let stdin = io.stdin;
    let nameNode: SyntaxNode | undefined;
    const argNodes: SyntaxNode[] = [];
    for (const child of node.namedChildren) {
      if (child.type === 'command_name') nameNode = child;
      else if (child.type === 'variable_assignment') this.scan(child);
      else if (REDIRECT_TYPES.has(child.type)) {
        const found = this.redirect(child);
        if (found.redirect) redirects.push(found.redirect);
        if (found.stdin) stdin = found.stdin;
      } else if (child.type !== 'comment') argNodes.push(child);
    }
    if (!nameNode) {
      if (redirects.length) this.analysis.judge(this.pseudoCommand(node, redirects, stdin));
      return undefined;
    }
    this.scan(nameNode);
    for (const arg of argNodes) this.scan(arg);
    const [nameWord, ...args]: Word[] = [nameNode, ...argNodes].flatMap((n) => expandWord(resolveWord(n, this.wordContext)));
    const cmd: SimpleCommand = {
      name: commandBaseName(foldLookalikes(nameWord.value)),
      nameWord,
      args,
      redirects,
      stdin,
      span: span(node),
      dialect: 'posix',
      wrappers: [],
      source: node.text,
    };
    return this.analysis.judge(cmd);
  }

  private pseudoCommand(node: SyntaxNode, redirects: Redirect[], stdin: DataSource | undefined): SimpleCommand {
    const nameWord: Word = { value: '', span: span(node), glob: false };
    return { name: '', nameWord, args: [], redirects, stdin, span: span(node), dialect: 'posix', wrappers: [] };
  }
}

function span(node: SyntaxNode): Span {
  return { start: node.startIndex, end: node.endIndex };
}

/** A function body that runs the function itself in a pipeline or in the background. */
function callsItselfConcurrently(body: SyntaxNode, name: string): boolean {
  let found = false;
  const visit = (node: SyntaxNode, concurrent: boolean): void => {
    if (found) return;
    if (node.type === 'command') {
      const cmdName = node.childForFieldName('name')?.text;
      if (cmdName === name && concurrent) found = true;
      return;
    }
    const isConcurrent = concurrent || node.type === 'pipeline' || /(^|[^&])&\s*$/.test(node.text) || node.children.some((c) => c.type === '&');
    for (const child of node.namedChildren) visit(child, isConcurrent);
  };
  visit(body, false);
  return found;
}
