// Commands that run other code: shells, eval, source, interpreters, ssh. The code is assessed
// as if it had been typed; code that cannot be seen before running is rated by where it comes from.
import type { DataSource, Dialect, ShellDialect, SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { displayText, isDynamic } from '../markers';
import { firstPositional } from '../options';
import { assessInlineCode, InlineLanguage } from './inline-code';
import { judgeRedirects, runsRemoteCode } from './filesystem';
import { interpreterFor } from './programs';


/** Judge code delivered through a word, stdin, or a file, for a given language. */
export function judgeCodeSource(analysis: Analysis, source: { word?: Word; stdin?: DataSource }, language: ShellDialect | InlineLanguage, runner: string, at: SimpleCommand): void {
  const word = source.word;
  if (word) {
    if (word.producedBy && word.producedBy.kind !== 'text') {
      judgeUnseenCode(analysis, word.producedBy, runner, word);
      return;
    }
    if (isDynamic(word.value)) {
      analysis.report('code.dynamic', 'moderate', `${runner} runs code that is only known when the command runs ("${displayText(word.value).slice(0, 60)}").`, word.span);
      return;
    }
    runCode(analysis, word.value, language, word.span, word.producedBy?.kind === 'text' && word.producedBy.decoded === true);
    return;
  }
  const stdin = source.stdin;
  if (!stdin) return;
  if (stdin.kind === 'text') {
    runCode(analysis, stdin.text, language, stdin.span, stdin.decoded === true);
    return;
  }
  judgeUnseenCode(analysis, stdin, runner, at);
}

function runCode(analysis: Analysis, code: string, language: ShellDialect | InlineLanguage, carrier: Word['span'], decoded: boolean): void {
  if (decoded) analysis.report('code.decoded', 'moderate', 'Runs code that was encoded to hide it; the decoded code was inspected.', carrier);
  if (language === 'posix' || language === 'pwsh' || language === 'cmd' || language === 'zsh' || language === 'fish') analysis.analyseNested(code, language, carrier);
  else assessInlineCode(code, language, analysis, carrier);
}

function judgeUnseenCode(analysis: Analysis, from: DataSource, runner: string, at: { span: Word['span'] }): void {
  switch (from.kind) {
    case 'network':
      analysis.effect(
        { kind: 'exec-remote', target: { type: 'code', value: from.tool } },
        analysis.elevated
          ? `${runner} runs code downloaded by ${from.tool} as root, without showing it first; whoever controls that server (or the connection) owns this machine. Download it, read it, then run it.`
          : `${runner} runs code downloaded by ${from.tool} without showing it first; whoever controls that server (or the connection) controls this machine. Download it, read it, then run it.`,
        at.span,
        analysis.elevated ? 'net.pipe-to-root-shell' : 'net.pipe-to-interpreter',
      );
      return;
    case 'obfuscated':
      if (analysis.elevated) {
        analysis.effect({ kind: 'exec-remote', severity: 'severe', target: { type: 'code', value: from.tool } }, `${runner} runs hidden (encoded) code as root.`, at.span, 'code.obfuscated-root');
        return;
      }
      analysis.report('code.obfuscated', 'high', `${runner} runs code decoded by ${from.tool}; encoded code hides what it does.`, at.span);
      return;
    case 'file':
      analysis.report('code.local-script', 'moderate', `${runner} runs a script from a file; its contents were not inspected.`, at.span);
      return;
    case 'unknown':
      analysis.report('code.piped', 'moderate', `${runner} runs code produced by another command, which cannot be inspected before running.`, at.span);
      return;
    case 'text':
      return;
  }
}

export function judgeShell(cmd: SimpleCommand, analysis: Analysis): void {
  judgeRedirects(cmd, analysis, true);
  const args = cmd.args;
  let i = 0;
  let code: Word | undefined;
  let readsStdin = false;
  let interactive = false;
  while (i < args.length) {
    const v = foldLookalikes(args[i].value);
    if (v === '--' || v === '-') {
      i++;
      if (v === '-') readsStdin = true;
      break;
    }
    if (/^[-+]o$/.test(v) || v === '--rcfile' || v === '--init-file' || v === '-O' || v === '+O') {
      i += 2;
      continue;
    }
    if (/^-[a-zA-Z]+$/.test(v)) {
      if (v.includes('c')) code = args[i + 1];
      if (v.includes('s')) readsStdin = true;
      if (v.includes('i')) interactive = true;
      i += v.includes('c') ? 2 : 1;
      if (code) break;
      continue;
    }
    if (v.startsWith('--') || v.startsWith('+')) {
      if (v === '--command') code = args[i + 1];
      i++;
      continue;
    }
    break;
  }
  const runner = cmd.name;
  const language: ShellDialect = cmd.name === 'fish' ? 'fish' : cmd.name === 'zsh' ? 'zsh' : 'posix';
  if (code) {
    judgeCodeSource(analysis, { word: code }, language, runner, cmd);
    return;
  }
  const script = !readsStdin ? args[i] : undefined;
  if (script) {
    const written = analysis.scriptWrittenAt(script.value);
    if (written !== undefined) analysis.analyseNested(written, language, script.span);
    else if (analysis.judgeRunOfDownload(script)) return;
    else if (script.producedBy) judgeCodeSource(analysis, { word: script }, language, runner, cmd);
    else if (/^\/dev\/(stdin|fd\/0)$/.test(script.value)) judgeCodeSource(analysis, { stdin: cmd.stdin }, language, runner, cmd);
    return;
  }
  if (cmd.stdin) judgeCodeSource(analysis, { stdin: cmd.stdin }, language, runner, cmd);
  else if (interactive && cmd.wrappers.includes('sudo')) analysis.report('priv.root-shell', 'moderate', 'Opens an interactive shell as root.', cmd.span);
}

export function judgeEval(cmd: SimpleCommand, analysis: Analysis): void {
  if (!cmd.args.length) return;
  const joined: Word = {
    value: cmd.args.map((w) => w.value).join(' '),
    span: { start: cmd.args[0].span.start, end: cmd.args[cmd.args.length - 1].span.end },
    glob: false,
  };
  const produced = cmd.args.find((w) => w.producedBy && w.producedBy.kind !== 'text')?.producedBy;
  if (produced) {
    joined.producedBy = produced;
    if (produced.kind === 'unknown') {
      analysis.report('code.eval-output', 'moderate', 'eval runs the output of another command as shell code.', joined.span);
      return;
    }
  }
  judgeCodeSource(analysis, { word: joined }, 'posix', 'eval', cmd);
}

export function judgeSource(cmd: SimpleCommand, analysis: Analysis): void {
  const file = cmd.args[0];
  // fish's `... | source` (no file, or `-`) runs its input as fish code.
  if ((!file || file.value === '-') && cmd.stdin) {
    judgeCodeSource(analysis, { stdin: cmd.stdin }, 'fish', cmd.name, cmd);
    return;
  }
  if (!file) return;
  const written = analysis.scriptWrittenAt(file.value);
  if (written !== undefined) analysis.analyseNested(written, 'posix', file.span);
  else if (analysis.judgeRunOfDownload(file)) return;
  else if (file.producedBy) judgeCodeSource(analysis, { word: file }, 'posix', cmd.name, cmd);
  else if (/^\/dev\/(stdin|fd\/0)$/.test(file.value)) judgeCodeSource(analysis, { stdin: cmd.stdin }, 'posix', cmd.name, cmd);
}

export function judgeInterpreter(cmd: SimpleCommand, analysis: Analysis): void {
  const spec = interpreterFor(cmd.name)!;
  judgeRedirects(cmd, analysis, true);
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const v = foldLookalikes(args[i].value);
    const codeOpt = spec.code.find((c) => v === c || (c.length === 2 && v.startsWith(c) && v.length > 2 && !v.startsWith('--')) || (c.startsWith('--') && v.startsWith(c + '=')));
    if (codeOpt) {
      const inline = v === codeOpt ? args[i + 1] : { ...args[i], value: v.startsWith(codeOpt + '=') ? v.slice(codeOpt.length + 1) : v.slice(codeOpt.length) };
      if (inline) judgeCodeSource(analysis, { word: inline }, spec.language, cmd.name, cmd);
      return;
    }
    // Perl/ruby switch clusters such as -pe, -ne, -lne end with the code switch.
    if ((spec.language === 'perl' || spec.language === 'ruby') && /^-[a-zA-Z0-9]*[eE]$/.test(v)) {
      const inline = args[i + 1];
      if (inline) judgeCodeSource(analysis, { word: inline }, spec.language, cmd.name, cmd);
      return;
    }
  }
  const first = firstPositional(args, { short: spec.short, long: spec.long });
  if (spec.language === 'python' && args.slice(0, first).some((w) => w.value === '-m')) return; // python -m module
  const script = args[first];
  if (script && script.value !== '-') {
    const written = analysis.scriptWrittenAt(script.value);
    if (written !== undefined) assessInlineCode(written, spec.language, analysis, script.span);
    else if (analysis.judgeRunOfDownload(script)) return;
    else if (script.producedBy) judgeCodeSource(analysis, { word: script }, spec.language, cmd.name, cmd);
    else if (/^\/dev\/(stdin|fd\/0)$/.test(script.value)) judgeCodeSource(analysis, { stdin: cmd.stdin }, spec.language, cmd.name, cmd);
    return;
  }
  if (cmd.stdin) judgeCodeSource(analysis, { stdin: cmd.stdin }, spec.language, cmd.name, cmd);
}

/** `ssh host 'cmd'` runs the command on another machine; its damage is just as real there. */
export function judgeSsh(cmd: SimpleCommand, analysis: Analysis): void {
  const i = firstPositional(cmd.args, { short: 'BbcDEeFIiJLlmOoPpQRSWw' });
  const remote = cmd.args.slice(i + 1);
  if (!remote.length) return;
  const text = remote.map((w) => w.value).join(' ');
  const carrier = { start: remote[0].span.start, end: remote[remote.length - 1].span.end };
  if (isDynamic(text)) {
    analysis.report('code.dynamic', 'moderate', 'Runs a remote command that is only known when the command runs.', carrier);
    return;
  }
  const before = analysis.findingsSinceJudge;
  const host = cmd.args[i]?.value ?? '';
  const asRoot = /^root@/.test(host) || cmd.args.some((w, k) => w.value === '-l' && cmd.args[k + 1]?.value === 'root');
  if (asRoot) analysis.runElevated(() => analysis.analyseNested(text, 'posix', carrier));
  else analysis.analyseNested(text, 'posix', carrier);
  // `ssh host 'bash -s' < setup.sh`, `curl … | ssh host sudo sh`: ssh's stdin is the remote
  // shell's script, run there without being shown.
  const remoteShell = /^(sudo\s+(-\S+\s+)*)?(bash|sh|zsh|dash|ksh|fish)(\s+-[a-zA-Z]*s[a-zA-Z]*)?(\s+--)?\s*$/.exec(text.trim());
  if (remoteShell && cmd.stdin) {
    const run = () => judgeCodeSource(analysis, { stdin: cmd.stdin }, 'posix', `the shell on "${displayText(host)}"`, cmd);
    if (asRoot || remoteShell[1]) analysis.runElevated(run);
    else run();
  }
  // A root command on another machine: its damage cannot be judged from here and is real there.
  if (/(^|[;&|]\s*|\s)(sudo|doas|su)(\s|$)/.test(text) && analysis.findingsSinceJudge > before) {
    analysis.effect({ kind: 'exec-local', severity: 'severe', target: { type: 'host', value: displayText(cmd.args[i]?.value ?? '') } }, `Runs a command as root on the remote host "${displayText(cmd.args[i]?.value ?? '')}".`, carrier, 'remote.root-command');
  }
}

/** `powershell -Command ...`, `cmd /c ...` launched from any shell. */
export function judgeWindowsShellLauncher(cmd: SimpleCommand, analysis: Analysis): void {
  const isCmd = cmd.name === 'cmd';
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const v = args[i].value.toLowerCase();
    if (isCmd && /^\/[ck]$/.test(v)) {
      const rest = args.slice(i + 1);
      if (rest.length) runJoined(analysis, rest, 'cmd');
      return;
    }
    if (!isCmd && /^[-/](e|ec|enc|encodedcommand|encoded)$/.test(v) && args[i + 1]) {
      const decoded = decodeUtf16Base64(args[i + 1].value);
      if (decoded === undefined) analysis.report('code.obfuscated', 'high', 'PowerShell runs an encoded command that could not be decoded for inspection.', args[i + 1].span);
      else {
        analysis.report('code.decoded', 'moderate', 'PowerShell runs a base64-encoded command; the decoded code was inspected.', args[i + 1].span);
        analysis.analyseNested(decoded, 'pwsh', args[i + 1].span);
      }
      return;
    }
    if (!isCmd && /^[-/](c|command)$/.test(v)) {
      const rest = args.slice(i + 1);
      if (rest.length) runJoined(analysis, rest, 'pwsh');
      return;
    }
    if (!isCmd && /^[-/](f|file)$/.test(v)) return;
  }
  if (!isCmd) {
    // powershell with bare words runs them as a command.
    const first = args.findIndex((w) => !w.value.startsWith('-') && !w.value.startsWith('/'));
    if (first >= 0 && !/\.ps1$/i.test(args[first].value)) runJoined(analysis, args.slice(first), 'pwsh');
    else if (first < 0 && cmd.stdin) judgeCodeSource(analysis, { stdin: cmd.stdin }, 'pwsh', cmd.name, cmd);
  }
}

function runJoined(analysis: Analysis, words: Word[], dialect: Dialect): void {
  const text = words.map((w) => w.value).join(' ');
  const carrier = { start: words[0].span.start, end: words[words.length - 1].span.end };
  if (isDynamic(text)) {
    analysis.report('code.dynamic', 'moderate', 'Runs code that is only known when the command runs.', carrier);
    return;
  }
  analysis.analyseNested(text, dialect, carrier);
}

export function decodeUtf16Base64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length < 2 || bytes.length % 2) return undefined;
  const text = bytes.toString('utf16le');
  return /[\uFFFD\u0000]/.test(text) ? undefined : text;
}

/** Options whose value is a shell command run locally: `vim -c '!cmd'`, `tar --to-command=cmd`,
 *  `ssh -o ProxyCommand=cmd`, `git -c core.pager=cmd`. */
export function judgeCommandOptions(cmd: SimpleCommand, analysis: Analysis): void {
  const run = (code: string, at: Word): void => {
    if (isDynamic(code)) analysis.report('code.dynamic', 'moderate', `${cmd.name} runs a command that is only known when it runs.`, at.span);
    else analysis.analyseNested(code, 'posix', at.span);
  };
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const v = args[i].value;
    const next = args[i + 1];
    switch (cmd.name) {
      case 'vim':
      case 'vi':
      case 'nvim':
      case 'view':
      case 'ex': {
        const c = v === '-c' || v === '--cmd' ? next?.value : v.startsWith('+') ? v.slice(1) : undefined;
        const bang = c !== undefined ? /^:?\s*!(.*)$/s.exec(c) : null;
        if (bang) run(bang[1], v.startsWith('+') ? args[i] : next!);
        break;
      }
      case 'tar':
      case 'gtar': {
        const m = /^--(checkpoint-action=exec|to-command|use-compress-program|rsh-command|info-script|new-volume-script)=(.*)$/s.exec(v);
        if (m) run(m[2], args[i]);
        else if ((v === '-I' || v === '--to-command' || v === '--use-compress-program') && next) run(next.value, next);
        break;
      }
      case 'ssh':
      case 'scp':
      case 'sftp': {
        const option = v === '-o' ? next?.value : v.startsWith('-o') ? v.slice(2) : undefined;
        const m = option !== undefined ? /^(ProxyCommand|LocalCommand|KnownHostsCommand|Match\s+exec)\s*[= ]\s*(.*)$/is.exec(option) : null;
        if (m) run(m[2], v === '-o' ? next! : args[i]);
        break;
      }
      case 'git': {
        const config = v === '-c' ? next?.value : undefined;
        const m = config !== undefined ? /^(core\.pager|core\.editor|core\.sshcommand|core\.fsmonitor|sequence\.editor|diff\.external|credential\.helper|alias\.[^=]+)=(.*)$/is.exec(config) : null;
        if (m) {
          const code = m[1].toLowerCase().startsWith('alias.') || m[1].toLowerCase() === 'credential.helper' ? (m[2].startsWith('!') ? m[2].slice(1) : undefined) : m[2];
          if (code !== undefined) run(code, next!);
        }
        break;
      }
      case 'rsync': {
        const m = v === '-e' || v === '--rsh' ? next?.value : /^--rsh=(.*)$/s.exec(v)?.[1];
        // The remote shell runs locally; a plain ssh is the normal case.
        if (m !== undefined && !/^\s*ssh\b/.test(m)) run(m, next ?? args[i]);
        break;
      }
    }
  }
}

/** awk programs can run shell commands with system() or by printing into a pipe to sh. */
export function judgeAwk(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => w.value === '-f' || w.value.startsWith('--file'))) return;
  const program = positionalsAfterAwkOptions(cmd.args)[0];
  if (!program || isDynamic(program.value)) return;
  for (const m of program.value.matchAll(/\bsystem\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)/g)) analysis.analyseNested(m[1].replace(/\\(.)/g, '$1'), 'posix', program.span);
  // gawk's network files: a coprocess on /inet/tcp that runs what it reads is a reverse shell.
  if (/\/inet[46]?\/(tcp|udp)\//.test(program.value)) {
    if (/\|&\s*getline|getline[^;]*\|&/.test(program.value) && (/\(\s*\w+\s*\|&\s*getline|\w+\s*\|&\s*getline\s*\w*\s*\)\s*>\s*0[^}]*\|&|system\s*\(/.test(program.value) || /while[^{]*\|&\s*getline[^{]*\{[^}]*\|&/.test(program.value))) {
      analysis.report('net.reverse-shell', 'critical', `${cmd.name} connects to a network address and runs the commands it receives: a reverse shell giving that host control of this machine.`, program.span);
      return;
    }
    analysis.effect({ kind: 'network-upload', target: { type: 'host', value: /\/inet[46]?\/(?:tcp|udp)\/\d+\/([^/"]+)/.exec(program.value)?.[1] ?? 'a host' } }, `${cmd.name} opens a network connection and sends data over it.`, program.span, 'net.awk-socket');
  }
  if (/\|\s*"\s*(\/bin\/)?(ba|z|da|k)?sh\b/.test(program.value) || /\bsystem\s*\(\s*[^")]/.test(program.value)) {
    analysis.report('code.awk-shell', 'moderate', `${cmd.name} hands text it builds to a shell.`, program.span);
  }
}

function positionalsAfterAwkOptions(args: readonly Word[]): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = args[i].value;
    if (v === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    if (/^-[Fvf]$/.test(v)) {
      i++;
      continue;
    }
    if (v.startsWith('-') && v.length > 1) continue;
    out.push(args[i]);
  }
  return out;
}

/** `at`/`batch` run shell code from stdin later; `crontab -` installs cron lines whose commands run
 *  on schedule. Both are judged by the code they will run. */
export function judgeScheduler(cmd: SimpleCommand, analysis: Analysis): void {
  const stdin = cmd.stdin;
  if (cmd.name === 'crontab') {
    const fromStdin = cmd.args.some((w) => w.value === '-') || (!cmd.args.some((w) => !w.value.startsWith('-')) && stdin && !cmd.args.length);
    if (!fromStdin || !stdin) return;
    analysis.report('sys.crontab-replace', 'moderate', 'Replaces your whole crontab with the new list; jobs not in it are removed.', cmd.span);
    if (stdin.kind === 'network' || (stdin.kind === 'text' && runsRemoteCode(stdin.text))) {
      analysis.effect({ kind: 'persist', target: { type: 'setting', value: 'crontab' }, severity: 'severe' }, 'Installs a cron job that downloads and runs remote code on a schedule: whoever controls that server keeps control of this machine.', cmd.span, 'persist.remote-code');
    }
    if (stdin.kind !== 'text') return;
    for (const line of stdin.text.split('\n')) {
      const m = /^\s*(?:@\w+|(?:\S+\s+){5})(.+)$/.exec(line);
      if (m && !line.trim().startsWith('#') && !/^\s*[A-Za-z_]+=/.test(line)) analysis.analyseNested(m[1], 'posix', stdin.span);
    }
    return;
  }
  if (cmd.args.some((w) => w.value === '-f')) return;
  if (stdin) judgeCodeSource(analysis, { stdin }, 'posix', cmd.name, cmd);
}

/** Interpreters without a reader of their own (Lua, Tcl, R, Julia, AppleScript, ...): their inline
 *  code is searched for what every language spells much the same way: a socket that runs a
 *  shell, code fetched and executed, a literal shell command handed to the system. */
export function judgeOtherInterpreter(cmd: SimpleCommand, analysis: Analysis): void {
  const at = cmd.args.findIndex((w) => /^(-e|-c|-E|--eval|-x|--execute)$/.test(w.value));
  const code = at >= 0 ? cmd.args[at + 1] : cmd.stdin?.kind === 'text' ? { value: cmd.stdin.text, span: cmd.stdin.span, glob: false } : undefined;
  if (!code) {
    const script = cmd.args.find((w) => !w.value.startsWith('-'));
    if (script) analysis.effect({ kind: 'exec-local', target: { type: 'program', value: [cmd.name, script.value].join(' ') } }, `${cmd.name} runs "${script.value}", whose effects cmdai cannot see.`, cmd.span, 'known.exec-local');
    return;
  }
  const text = code.value;
  if (/\b(socket|tcp|TCPSocket|connect)\b/i.test(text) && /\b(os\.execute|io\.popen|exec|system|spawn|popen)\b|\/bin\/(ba)?sh|cmd\.exe/.test(text) && /\bconnect\b|socket\s+-?\w*\s*\d+\.\d+/i.test(text)) {
    analysis.report('net.reverse-shell', 'critical', `The ${cmd.name} code connects to the network and hands it a shell: a reverse shell giving a remote host control of this machine.`, code.span);
    return;
  }
  if (runsRemoteCode(text) || (/\b(load|loadstring|dofile|eval|source|run script)\b/i.test(text) && /https?:\/\//.test(text))) {
    analysis.effect({ kind: 'exec-remote', target: { type: 'code', value: cmd.name } }, `The ${cmd.name} code downloads code and runs it without showing it first.`, code.span, 'net.run-remote');
    return;
  }
  let ran = false;
  for (const m of text.matchAll(/\b(?:os\.execute|io\.popen|system|exec|do shell script|run)\s*\(?\s*(["'])((?:(?!\1)[^\\]|\\.)*)\1/g)) {
    analysis.analyseNested(m[2].replace(/\\(.)/g, '$1'), 'posix', code.span);
    ran = true;
  }
  if (!ran && analysis.findingsSinceJudge === 0) analysis.effect({ kind: 'exec-inline', target: { type: 'code', value: cmd.name } }, `${cmd.name} runs code given on the command line; what it does is not known to cmdai.`, code.span, 'code.inline');
}
