// What a command writes to stdout, when that can be known without running it. Lets the assessor see
// the code in `echo 'rm -rf /' | sh` or `echo cm0gLXJmIC8= | base64 -d | bash`.
import type { DataSource, SimpleCommand } from '../command';
import { isDynamic } from '../markers';
import { decodeAnsiC } from '../bash/words';
import { positionals, shortFlags } from '../options';

const NETWORK_TOOLS = new Set(['curl', 'wget', 'fetch', 'http', 'https', 'httpie', 'xh', 'aria2c', 'nc', 'ncat', 'netcat', 'socat', 'lynx', 'links', 'invoke-webrequest', 'iwr', 'invoke-restmethod', 'irm', 'wget2', 'curlie']);
const DECODERS = new Set(['base64', 'base32', 'xxd', 'openssl', 'gunzip', 'zcat', 'gzip', 'bzip2', 'bunzip2', 'xz', 'unxz', 'uudecode', 'rev', 'tr', 'basenc', 'gpg', 'zstd', 'unzstd', 'lz4']);
const PASS_THROUGH = new Set(['cat', 'tac', 'head', 'tail', 'tee', 'sort', 'uniq', 'grep', 'sed', 'awk', 'cut', 'less', 'more', 'dd', 'buffer', 'pv']);

export function commandOutput(cmd: SimpleCommand): DataSource {
  const span = cmd.span;
  switch (cmd.name) {
    case 'echo':
    case 'print': // zsh's builtin echo (print -r, -n, -l)
      return echoOutput(cmd);
    case 'printf':
      return printfOutput(cmd);
    case 'which':
    case 'command':
    case 'type':
    case 'whereis': {
      // `$(which rm)` is the path of rm: as a program name it is rm.
      const names = positionals(cmd.args, {});
      if (names.length === 1 && !isDynamic(names[0].value)) return { kind: 'text', text: names[0].value + '\n', span };
      return { kind: 'unknown', span, tool: cmd.name };
    }
    case 'base64':
    case 'base32':
    case 'basenc':
      return decodeOutput(cmd);
  }
  if (NETWORK_TOOLS.has(cmd.name)) return { kind: 'network', span, tool: cmd.name };
  // What find lists: everything under its starting points.
  if (cmd.name === 'find' || cmd.name === 'gfind' || cmd.name === 'fd' || cmd.name === 'fdfind') {
    const roots = cmd.args.filter((w, i) => !w.value.startsWith('-') && !/^[(!]/.test(w.value) && (cmd.name !== 'find' || cmd.args.slice(0, i).every((x) => !/^[-(!]/.test(x.value))));
    if (cmd.name === 'find' && !cmd.args.some((w) => /^-(i?name|i?path|i?regex|newer|mtime|mmin|size|perm|user|empty)$/.test(w.value))) {
      return { kind: 'unknown', span, tool: cmd.name, items: { paths: roots.length ? roots : [{ value: '.', span, glob: false }], recursive: true } };
    }
    return { kind: 'unknown', span, tool: cmd.name };
  }
  // fish's `string collect`/`string join` pass their input on.
  if (cmd.name === 'string' && cmd.stdin && /^(collect|join|trim)$/.test(cmd.args[0]?.value ?? '')) return cmd.stdin;
  if (DECODERS.has(cmd.name)) {
    if (cmd.name === 'rev' && cmd.stdin?.kind === 'text') return { kind: 'text', text: reverseLines(cmd.stdin.text), span, decoded: true };
    return cmd.stdin?.kind === 'network' ? cmd.stdin : { kind: 'obfuscated', span, tool: cmd.name };
  }
  if (PASS_THROUGH.has(cmd.name)) {
    const files = positionals(cmd.args, {});
    if (cmd.name === 'cat' || cmd.name === 'tac' || cmd.name === 'tee') {
      if (files.length === 0 || (cmd.name === 'tee')) return cmd.stdin ?? { kind: 'unknown', span };
      return { kind: 'file', span };
    }
    // Filters keep the origin of what they pass on (network stays network), not the exact text.
    if (cmd.stdin && cmd.stdin.kind !== 'text') return cmd.stdin;
    if (cmd.stdin?.kind === 'text' && (cmd.name === 'head' || cmd.name === 'tail' || cmd.name === 'sort' || cmd.name === 'uniq')) return cmd.stdin;
    return { kind: 'unknown', span, tool: cmd.name };
  }
  return { kind: 'unknown', span, tool: cmd.name };
}

function echoOutput(cmd: SimpleCommand): DataSource {
  let i = 0;
  let escapes = false;
  let newline = true;
  while (i < cmd.args.length && /^-[neE]+$/.test(cmd.args[i].value)) {
    if (cmd.args[i].value.includes('e')) escapes = true;
    if (cmd.args[i].value.includes('n')) newline = false;
    i++;
  }
  const text = cmd.args.slice(i).map((w) => w.value).join(' ');
  if (isDynamic(text)) return { kind: 'unknown', span: cmd.span };
  return { kind: 'text', text: (escapes ? decodeAnsiC(text) : text) + (newline ? '\n' : ''), span: cmd.span };
}

function printfOutput(cmd: SimpleCommand): DataSource {
  const args = cmd.args[0]?.value === '--' ? cmd.args.slice(1) : cmd.args;
  if (!args.length) return { kind: 'unknown', span: cmd.span };
  const format = args[0].value;
  const values = args.slice(1).map((w) => w.value);
  if (isDynamic(format) || values.some(isDynamic)) return { kind: 'unknown', span: cmd.span };
  const specs = format.match(/%[^%a-zA-Z]*[a-zA-Z%]/g) ?? [];
  if (specs.some((s) => s !== '%s' && s !== '%b' && s !== '%%')) return { kind: 'unknown', span: cmd.span };
  let k = 0;
  const once = (): string => decodeAnsiC(format).replace(/%[sb%]/g, (s) => (s === '%%' ? '%' : values[k++] ?? ''));
  let text = once();
  while (k < values.length && specs.length > 0 && specs.some((s) => s !== '%%')) text += once();
  return { kind: 'text', text, span: cmd.span };
}

function decodeOutput(cmd: SimpleCommand): DataSource {
  const flags = shortFlags(cmd.args);
  const decode = flags.has('d') || flags.has('D') || cmd.args.some((w) => w.value === '--decode');
  if (!decode) return { kind: 'unknown', span: cmd.span };
  const files = positionals(cmd.args, {});
  if (files.length === 0 && cmd.stdin?.kind === 'text') {
    const decoded = cmd.name === 'base64' ? decodeBase64(cmd.stdin.text) : undefined;
    if (decoded !== undefined) return { kind: 'text', text: decoded, span: cmd.span, decoded: true };
  }
  if (cmd.stdin?.kind === 'network') return cmd.stdin;
  return { kind: 'obfuscated', span: cmd.span, tool: cmd.name };
}

/** Strict base64 decode to UTF-8 text; undefined when the input is not base64 text. */
export function decodeBase64(input: string): string | undefined {
  const compact = input.replace(/\s+/g, '');
  if (!compact || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
  const text = Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

function reverseLines(text: string): string {
  return text
    .split('\n')
    .map((line) => Array.from(line).reverse().join(''))
    .join('\n');
}
