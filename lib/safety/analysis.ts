// One assessment in progress: collects reasons, unwraps wrappers, dispatches each simple command
// to the judges for its program, and re-enters the parsers for code nested inside commands.
import type { RiskLevel, RiskReason, SafetyRules, Span } from './types';
import type { DataSource, ShellDialect, SimpleCommand, Word } from './command';
import { commandBaseName, foldLookalikes } from './command';
import { LEVELS } from './levels';
import { displayText, isDynamic, unknownValue } from './markers';
import { firstPositional, optionValue } from './options';
import { judgeCommand } from './rules';
import { analyseBashText } from './bash/walk';
import { commandOutput } from './rules/data-flow';
import type { Analysis } from './judging';
import type { Effect, EffectFacts } from './effects';
import { kindOfRule, levelOf } from './effects';
import { classifyPath, ClassifiedPath, resolvePath } from './paths';

const MAX_NESTING = 8;
const MAX_SAME_RULE = 5;

interface CompiledRule {
  pattern: string;
  matches(words: readonly string[]): boolean;
}

/** Where the command runs: the caller's working directory and home, when known. */
export interface RunContext {
  cwd?: string;
  home?: string;
}

/** Wrappers that run the wrapped command as root or another user. */
const ELEVATING = new Set(['sudo', 'doas', 'dzdo', 'run0', 'pkexec', 'su', 'runuser', 'gosu', 'su-exec', 'runas', 'gsudo']);

export class CommandAnalysis implements Analysis {
  readonly reasons: RiskReason[] = [];
  readonly effects: Effect[] = [];
  /** The working directory as tracked through `cd`; undefined while it is the caller's unknown one. */
  private cwd: string | undefined;
  private readonly dirStack: (string | undefined)[] = [];
  private readonly home: string | undefined;
  private elevatedNow = false;
  private forcedElevation = false;
  /** Inside a container (paths outside mounts are its own) or WSL (`passthrough`: they are Linux's). */
  private container: { mounts: { src: string; dst: string }[]; workdir: string; passthrough?: boolean } | undefined;
  private findingsAtJudge = 0;
  /** Scripts written earlier in the command (`echo '...' > x.sh`), by normalised path, so that
   *  running them later in the same command (`sh x.sh`, `./x.sh`, `. x.sh`) is judged by content. */
  private readonly writtenFiles = new Map<string, string>();
  /** Files downloaded earlier in the command (`curl -o x.sh URL`), whose content cannot be seen. */
  private readonly downloadedFiles = new Set<string>();
  private carrier: Span | null = null;
  private depth = 0;
  private suppressed = 0;
  private readonly allow: CompiledRule[];
  private readonly deny: CompiledRule[];

  constructor(rules: SafetyRules | undefined, context: RunContext = {}) {
    this.allow = compileRules(rules?.allow, 'allow');
    this.deny = compileRules(rules?.deny, 'deny');
    this.home = context.home ? context.home.replace(/[\\/]+$/, '') || '/' : undefined;
    this.cwd = context.cwd;
  }

  get elevated(): boolean {
    return this.elevatedNow;
  }

  get findingsSinceJudge(): number {
    return this.effects.length - this.findingsAtJudge;
  }

  report(rule: string, level: RiskLevel, message: string, span: Span, effect?: Omit<Effect, 'level' | 'rule' | 'span'>): void {
    // An allow rule never hides a critical finding, nor a deny.
    if (this.suppressed > 0 && rule !== 'user.deny' && level !== 'critical') return;
    const at = this.carrier ?? span;
    if (this.reasons.some((r) => r.rule === rule && r.message === message && r.span.start === at.start && r.span.end === at.end)) return;
    // A long command can repeat one finding many times; a few examples say it, and the level is kept.
    const rank = LEVELS.indexOf(level);
    if (this.reasons.filter((r) => r.rule === rule && LEVELS.indexOf(r.level) >= rank).length >= MAX_SAME_RULE) return;
    this.reasons.push({ rule, message, span: { start: at.start, end: at.end }, level });
    if (rule === 'user.allow' || rule === 'user.deny') return;
    const facts = effect ?? { kind: kindOfRule(rule), scope: 'one' as const, elevated: this.elevatedNow };
    this.effects.push({ ...facts, level, rule, span: { start: at.start, end: at.end } });
  }

  effect(facts: EffectFacts, message: string, span: Span, rule?: string): Effect {
    const level = levelOf({ ...facts, elevated: facts.elevated ?? this.elevatedNow });
    const id = rule ?? `effect.${facts.kind}${facts.op ? '-' + facts.op : ''}`;
    const effect: Effect = {
      kind: facts.kind,
      ...(facts.op ? { op: facts.op } : {}),
      ...(facts.target ? { target: facts.target } : {}),
      scope: facts.scope ?? 'one',
      elevated: facts.elevated ?? this.elevatedNow,
      level,
      rule: id,
      span,
    };
    if (level === 'safe') {
      if (this.suppressed === 0) this.effects.push({ ...effect, span: this.carrier ?? span });
      return effect;
    }
    const { level: _l, rule: _r, span: _s, ...rest } = effect;
    this.report(id, level, message, span, rest);
    return effect;
  }

  resolve(path: string): string {
    const inHost = this.throughMounts(path);
    return resolvePath(inHost ?? path, { cwd: this.cwd, home: this.home });
  }

  classify(path: string): ClassifiedPath {
    const inHost = this.throughMounts(path);
    if (inHost === null) return { cls: 'temp', normalised: path, glob: /[*?[]/.test(path) }; // only the container's own files
    return classifyPath(resolvePath(inHost ?? path, { cwd: this.cwd, home: this.home, tilde: true }));
  }

  /** Inside a container: the host path a container path reaches through a bind mount, or null when
   *  it stays inside the container. Outside a container: undefined. */
  private throughMounts(path: string): string | null | undefined {
    if (!this.container) return undefined;
    const { mounts, workdir } = this.container;
    if (isDynamic(path)) return undefined;
    const absolute = resolvePath(path, { cwd: workdir, home: '/root' });
    let best: { dst: string; src: string } | undefined;
    for (const m of mounts) {
      const dst = m.dst.replace(/\/+$/, '') || '/';
      if (absolute === dst || absolute.startsWith(dst === '/' ? '/' : dst + '/')) {
        if (!best || dst.length > best.dst.length) best = { dst, src: m.src };
      }
    }
    if (!best) return this.container.passthrough ? undefined : null;
    const rest = absolute.slice(best.dst === '/' ? 0 : best.dst.length).replace(/^\/+/, '');
    const src = best.src.replace(/[\\/]+$/, '');
    if (/^[a-zA-Z]:$/.test(src)) return src + '\\' + rest.replace(/\//g, '\\');
    return src + (rest ? '/' + rest : best.src.endsWith('/') && best.src.length === 1 ? '' : '');
  }

  private readonly accounts = new Set<string>();
  private readonly copies = new Map<string, string>();

  rememberCopy(to: string, from: string): void {
    this.copies.set(to, from);
  }

  copiedProgram(path: string): string | undefined {
    return this.copies.get(path);
  }

  rememberAccount(name: string): void {
    this.accounts.add(name.toLowerCase());
  }

  accountCreatedHere(name: string): boolean {
    return this.accounts.has(name.toLowerCase());
  }

  runElevated(fn: () => void): void {
    const saved = this.forcedElevation;
    this.forcedElevation = true;
    try {
      fn();
    } finally {
      this.forcedElevation = saved;
    }
  }

  runInContainer(mounts: { src: string; dst: string }[], workdir: string, fn: () => void, passthrough = false): void {
    const saved = this.container;
    // Mount sources are host paths, resolved where the command runs.
    this.container = { mounts: mounts.map((m) => ({ dst: m.dst, src: /^[a-zA-Z]:/.test(m.src) ? m.src : this.resolve(m.src) })), workdir, passthrough };
    try {
      fn();
    } finally {
      this.container = saved;
    }
  }

  changeDirectory(target: string | undefined, how: 'cd' | 'pushd' | 'popd' = 'cd'): void {
    if (how === 'popd') {
      this.cwd = this.dirStack.length ? this.dirStack.pop() : unknownValue('OLDPWD');
      return;
    }
    if (how === 'pushd') this.dirStack.push(this.cwd);
    if (target === undefined || target === '' || target === '~') {
      this.cwd = this.home ?? '~';
      return;
    }
    if (target === '-') {
      this.cwd = unknownValue('OLDPWD');
      return;
    }
    this.cwd = this.resolve(target);
  }

  saveDirectory(): unknown {
    return { cwd: this.cwd, stack: [...this.dirStack] };
  }

  restoreDirectory(saved: unknown): void {
    const s = saved as { cwd: string | undefined; stack: (string | undefined)[] };
    this.cwd = s.cwd;
    this.dirStack.length = 0;
    this.dirStack.push(...s.stack);
  }

  /** Assess code found inside a command (bash -c '...', eval, a heredoc fed to a shell). Its reasons
   *  point at `carrier`, the word of the outer command that holds the code. */
  analyseNested(text: string, dialect: ShellDialect, carrier: Span): void {
    if (this.depth >= MAX_NESTING) {
      this.report('parse.too-deep', 'high', `Code is nested more than ${MAX_NESTING} levels deep; it was not inspected fully. Read it yourself before running it.`, carrier);
      return;
    }
    const savedCarrier = this.carrier;
    // Nested code runs in a child shell: its `cd` does not move the outer command.
    const savedDirectory = this.saveDirectory();
    this.carrier = savedCarrier ?? carrier;
    this.depth++;
    try {
      this.analyseText(text, dialect);
    } finally {
      this.depth--;
      this.carrier = savedCarrier;
      this.restoreDirectory(savedDirectory);
    }
  }

  analyseText(text: string, dialect: ShellDialect): void {
    // The POSIX fork bomb typed into another shell: whatever that shell makes of it, it was meant as one.
    if (dialect !== 'posix' && dialect !== 'zsh' && /(^|[;&\s])([^\s(){}|;&]+)\s*\(\)\s*\{\s*\2\s*\|\s*\2\s*&\s*;?\s*\}\s*;\s*\2/.test(text)) {
      this.report('sys.fork-bomb', 'critical', 'A fork bomb: a function that starts two copies of itself without limit, until the machine runs out of processes.', { start: 0, end: text.length });
    }
    if (dialect === 'posix') analyseBashText(text, this);
    else if (dialect === 'zsh') analyseBashText(zshShortLoops(withoutZshOnlySyntax(text)), this);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    else if (dialect === 'fish') (require('./fish/walk') as typeof import('./fish/walk')).analyseFishText(text, this);
    // PowerShell/cmd support loads only when it is needed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    else (require('./windows/tokenize') as typeof import('./windows/tokenize')).analyseWindowsText(text, dialect, this);
  }

  /** Judge one simple command as the parser found it; returns it after unwrapping (for pipelines). */
  judge(raw: SimpleCommand): SimpleCommand {
    this.rememberWrittenFile(raw);
    const cmd = this.unwrap(raw);
    if (!cmd) return raw;
    this.rememberDownloads(cmd);
    const savedElevated = this.elevatedNow;
    const savedFindings = this.findingsAtJudge;
    this.elevatedNow = savedElevated || this.forcedElevation || cmd.wrappers.some((w) => ELEVATING.has(w));
    this.findingsAtJudge = this.effects.length;
    try {
      this.judgeUnwrapped(cmd);
    } finally {
      this.elevatedNow = savedElevated;
      this.findingsAtJudge = savedFindings;
    }
    return cmd;
  }

  /** Runs commands nested in `cmd` (find -exec, xargs) or code it carries with its elevation. */
  private judgeUnwrapped(cmd: SimpleCommand): void {
    const script = this.writtenFiles.get(scriptKey(cmd.nameWord.value));
    if (script !== undefined && /[/\\]/.test(cmd.nameWord.value)) {
      // `./x.sh` runs a script this same command wrote.
      this.analyseNested(script, cmd.dialect, cmd.nameWord.span);
    }
    if (/[/\\]/.test(cmd.nameWord.value)) this.judgeRunOfDownload(cmd.nameWord);
    const move = directoryChange(cmd);
    if (move) this.changeDirectory(move.target, move.how);
    const words = normalisedWords(cmd);
    const denied = this.deny.find((r) => r.matches(words));
    if (denied) {
      this.report('user.deny', 'high', `Matches your deny rule "${denied.pattern}".`, cmd.span);
    }
    const allowed = denied ? undefined : this.allow.find((r) => r.matches(words));
    if (allowed) {
      this.report('user.allow', 'safe', `Allowed by your rule "${allowed.pattern}"; its own findings below critical are not counted.`, cmd.span);
      this.suppressed++;
    }
    try {
      judgeCommand(cmd, this);
    } finally {
      if (allowed) this.suppressed--;
    }
  }

  /** The content a command writes to a file, when both are known (`echo '...' > x.sh`, `cat > x.sh <<EOF`). */
  private rememberWrittenFile(cmd: SimpleCommand): void {
    const out = cmd.redirects.filter((r) => r.op === '>' || r.op === '>>' || r.op === '>|');
    if (!out.length) return;
    let text: string | undefined;
    const source = commandOutput(cmd);
    if (source.kind === 'network') {
      for (const r of out) this.markDownloaded(r.target.value);
      return;
    }
    if (cmd.name === 'echo' || cmd.name === 'print' || cmd.name === 'printf' || ((cmd.name === 'cat' || cmd.name === 'tee') && cmd.args.every((w) => w.value.startsWith('-')))) {
      if (source.kind === 'text') text = source.text;
    }
    for (const r of out) {
      if (isDynamic(r.target.value)) continue;
      const key = scriptKey(r.target.value);
      const previous = r.op === '>>' ? this.writtenFiles.get(key) ?? '' : '';
      if (text === undefined) this.writtenFiles.delete(key);
      else this.writtenFiles.set(key, previous + text);
    }
  }

  /** `curl URL | sudo tee /usr/local/bin/x`: the files tee writes hold the download;
   *  `curl URL | tar xz`: the files unpacked are unknown, so any local program run later may be one. */
  private rememberDownloads(cmd: SimpleCommand): void {
    const from = cmd.stdin?.kind;
    if (from !== 'network' && from !== 'obfuscated') return;
    if (cmd.name === 'tee') for (const w of cmd.args) if (!w.value.startsWith('-')) this.markDownloaded(w.value);
    if (/^(tar|bsdtar|unzip|cpio|7z|busybox)$/.test(cmd.name) || (cmd.name === 'tar' && cmd.args.some((w) => /x/.test(w.value)))) this.markDownloaded('*');
  }

  markDownloaded(path: string): void {
    if (path === '*') this.downloadedFiles.add('*');
    else if (!isDynamic(path)) this.downloadedFiles.add(scriptKey(path));
  }

  /** Running a file this command downloaded: code nobody has read. Returns whether it was one. */
  judgeRunOfDownload(file: { value: string; span: Span }): boolean {
    // `curl URL | tar x && ./installer/run.sh`: what an extracted download contains is unknown, so any
    // local program run after it may be part of it.
    const extracted = this.downloadedFiles.has('*') && /[/\\]/.test(file.value);
    if (!this.downloadedFiles.has(scriptKey(file.value)) && !extracted) return false;
    this.effect({ kind: 'exec-remote', target: { type: 'code', value: displayText(file.value) } }, `Runs "${displayText(file.value)}", ${extracted ? 'after unpacking a download' : 'downloaded earlier'} in this command, without showing it first${this.elevatedNow || this.forcedElevation ? ', as root' : ''}; whoever controls that server controls this machine.`, file.span, 'net.run-downloaded');
    return true;
  }

  /** What this command wrote to `path` earlier on the line, if known. */
  scriptWrittenAt(path: string): string | undefined {
    return this.writtenFiles.get(scriptKey(path));
  }

  get deniedByUser(): boolean {
    return this.reasons.some((r) => r.rule === 'user.deny');
  }

  /** Strip wrappers (sudo, env, nice, xargs, ...) down to the command that does the work.
   *  Returns undefined when nothing is left to judge (e.g. `command -v git`). */
  private unwrap(cmd: SimpleCommand): SimpleCommand | undefined {
    let current = cmd;
    for (let guard = 0; guard < 16; guard++) {
      if (isDynamic(current.nameWord.value)) {
        this.report('cmd.dynamic-name', 'moderate', `The program name "${displayText(current.nameWord.value)}" is only known when the command runs.`, current.nameWord.span);
        return current;
      }
      const spec = WRAPPERS[current.name];
      if (!spec) return current;
      const next = spec(current, this);
      if (next === 'stop') return undefined;
      if (next === 'self') return current;
      current = next;
    }
    return current;
  }
}

type Unwrapper = (cmd: SimpleCommand, analysis: Analysis) => SimpleCommand | 'stop' | 'self';

function rest(cmd: SimpleCommand, from: number, wrapper: string): SimpleCommand | 'self' {
  if (from >= cmd.args.length) return 'self';
  const nameWord = cmd.args[from];
  return {
    ...cmd,
    name: commandBaseName(foldLookalikes(nameWord.value)),
    nameWord,
    args: cmd.args.slice(from + 1),
    wrappers: [...cmd.wrappers, wrapper],
  };
}

function simple(spec: Parameters<typeof firstPositional>[1], skipPositionals = 0): Unwrapper {
  return (cmd) => {
    let i = firstPositional(cmd.args, spec);
    for (let k = 0; k < skipPositionals; k++) i = firstPositional(cmd.args, spec, i + 1);
    return rest(cmd, i, cmd.name);
  };
}

const sudoLike = simple({ short: 'ugpChDrtTUa', long: ['--user', '--group', '--host', '--prompt', '--close-from', '--chdir', '--role', '--type', '--command-timeout', '--other-user'], assignments: true });

const WRAPPERS: Record<string, Unwrapper> = {
  sudo: (cmd, analysis) => {
    const i = firstPositional(cmd.args, { short: 'ugpChDrtTUa', long: ['--user', '--group', '--host', '--prompt', '--close-from', '--chdir', '--role', '--type', '--command-timeout', '--other-user'], assignments: true });
    if (i >= cmd.args.length && cmd.args.some((w) => /^-[a-zA-Z]*[is]/.test(w.value) || w.value === '--login' || w.value === '--shell')) {
      if (!rootShellReadsUnseenCode(cmd, analysis)) analysis.report('priv.root-shell', 'moderate', 'Opens a shell running as root.', cmd.span);
    }
    return sudoLike(cmd, analysis);
  },
  doas: simple({ short: 'uC' }),
  dzdo: sudoLike,
  run0: simple({ long: ['--user', '--group', '--description', '--setenv', '--chdir'] }),
  pkexec: simple({ long: ['--user'] }),
  env: (cmd, analysis) => {
    const split = optionValue(cmd.args, 'S', ['--split-string']);
    if (split && !isDynamic(split.value)) {
      analysis.analyseNested(split.value, 'posix', split.span);
      return 'stop';
    }
    return rest(cmd, firstPositional(cmd.args, { short: 'uCS', long: ['--unset', '--chdir', '--split-string'], assignments: true }), 'env');
  },
  command: (cmd) => {
    if (cmd.args.some((w) => /^-[pvV]*[vV]/.test(w.value))) return 'stop'; // `command -v git` only looks it up
    return rest(cmd, firstPositional(cmd.args, {}), 'command');
  },
  builtin: (cmd) => rest(cmd, 0, 'builtin'),
  exec: simple({ short: 'a' }),
  nohup: simple({}),
  setsid: simple({}),
  unbuffer: simple({}),
  chronic: simple({}),
  busybox: (cmd) => rest(cmd, 0, 'busybox'),
  nice: (cmd) => rest(cmd, firstPositional(cmd.args, { short: 'n', long: ['--adjustment'] }), 'nice'),
  ionice: simple({ short: 'cnpt' }),
  stdbuf: simple({ short: 'ioe' }),
  timeout: simple({ short: 'sk', long: ['--signal', '--kill-after'] }, 1),
  time: simple({ short: 'fo', long: ['--format', '--output'] }),
  taskset: (cmd) => {
    const spec = { short: '' };
    let i = firstPositional(cmd.args, spec);
    i = firstPositional(cmd.args, spec, i + 1); // the CPU mask or list
    return rest(cmd, i, 'taskset');
  },
  caffeinate: simple({ short: 'tw' }),
  strace: simple({ short: 'oepsSEIbaPuU', long: ['--output', '--expr', '--attach', '--user', '--string-limit'] }),
  ltrace: simple({ short: 'oepsSEIaun' }),
  valgrind: simple({}),
  proxychains: simple({ short: 'f' }),
  proxychains4: simple({ short: 'f' }),
  torsocks: simple({ short: 'uaP' }),
  firejail: simple({}),
  chroot: simple({ long: ['--userspec', '--groups'] }, 1),
  gosu: simple({}, 1),
  'su-exec': simple({}, 1),
  runuser: (cmd, analysis) => shellStringWrapper(cmd, analysis) ?? simple({ short: 'ugG', long: ['--user', '--group', '--supp-group'] })(cmd, analysis),
  su: (cmd, analysis) => {
    const nested = shellStringWrapper(cmd, analysis);
    if (nested) return nested;
    if (!rootShellReadsUnseenCode(cmd, analysis)) analysis.report('priv.root-shell', 'moderate', 'Opens a shell as another user (root by default).', cmd.span);
    return 'stop';
  },
  flock: (cmd, analysis) => shellStringWrapper(cmd, analysis) ?? simple({ short: 'wEc', long: ['--timeout', '--conflict-exit-code'] }, 1)(cmd, analysis),
  watch: (cmd, analysis) => {
    const i = firstPositional(cmd.args, { short: 'nq', long: ['--interval', '--equexit'] });
    const words = cmd.args.slice(i);
    if (!words.length) return 'stop';
    // watch hands its words to `sh -c`.
    analysis.analyseNested(words.map((w) => w.value).join(' '), 'posix', { start: words[0].span.start, end: words[words.length - 1].span.end });
    return 'stop';
  },
  xargs: (cmd) => {
    const spec = { short: 'InPLdEsa', long: ['--replace', '--max-args', '--max-procs', '--max-lines', '--delimiter', '--eof', '--max-chars', '--arg-file', '--process-slot-var'] };
    const i = firstPositional(cmd.args, spec);
    const replace = optionValue(cmd.args.slice(0, i), 'I', ['--replace'])?.value ?? (cmd.args.slice(0, i).some((w) => w.value === '-i') ? '{}' : undefined);
    const input = xargsInput(cmd.stdin);
    if (i >= cmd.args.length) {
      // Bare `xargs` runs echo.
      return 'stop';
    }
    const target = rest(cmd, i, 'xargs');
    if (target === 'self') return 'self';
    // Whatever the input holds, it is usually many items.
    const inputWords: Word[] = input.map((value) => ({ value, span: cmd.span, glob: isDynamic(value) || value.endsWith('/*') }));
    if (replace) {
      const joined = input.join(' ');
      target.args = target.args.map((w) => (w.value.includes(replace) ? { ...w, value: w.value.split(replace).join(joined) } : w));
    } else {
      target.args = [...target.args, ...inputWords];
    }
    return target;
  },
  npx: simple({ short: 'pc', long: ['--package', '--call'] }),
  // zsh precommand modifiers.
  noglob: (cmd) => rest(cmd, 0, 'noglob'),
  nocorrect: (cmd) => rest(cmd, 0, 'nocorrect'),
  // GNU parallel runs its command once per input line, like xargs.
  parallel: (cmd, analysis) => WRAPPERS.xargs(cmd, analysis),
  bunx: simple({}),
};

/** `curl URL | sudo -i`, `... | su -`: a root shell reading its commands from a pipe. */
function rootShellReadsUnseenCode(cmd: SimpleCommand, analysis: Analysis): boolean {
  const from = cmd.stdin;
  if (!from) return false;
  if (from.kind === 'text') {
    analysis.analyseNested(from.text, 'posix', from.span);
    analysis.report('priv.root-shell', 'moderate', 'Runs the piped commands in a shell as root.', cmd.span);
    return true;
  }
  if (from.kind === 'network' || from.kind === 'obfuscated') {
    analysis.effect({ kind: 'exec-remote', elevated: true, target: { type: 'code', value: from.tool } }, `A root shell runs code downloaded by ${from.tool} without showing it first; whoever controls that server owns this machine.`, cmd.span, 'net.pipe-to-root-shell');
    return true;
  }
  return false;
}

/** `su -c 'cmd'`, `runuser -c`, `flock -c`: the command is a shell string. */
function shellStringWrapper(cmd: SimpleCommand, analysis: Analysis): 'stop' | undefined {
  const code = optionValue(cmd.args, 'c', ['--command']);
  if (!code) return undefined;
  // `su -c "$(curl URL)"`: the code itself is the download, run as root.
  if (code.producedBy?.kind === 'network' || code.producedBy?.kind === 'obfuscated') {
    analysis.effect({ kind: 'exec-remote', elevated: cmd.name !== 'flock', target: { type: 'code', value: code.producedBy.tool } }, `${cmd.name} -c runs code downloaded by ${code.producedBy.tool} without showing it first${cmd.name !== 'flock' ? ', as root' : ''}.`, code.span, 'net.pipe-to-root-shell');
    return 'stop';
  }
  // `curl URL | su -c bash`: the shell run as root reads the download.
  if (/^\s*(\S*\/)?(ba|z|da|k|fi)?sh(\s+-[a-z]*s?)?\s*$/.test(code.value) && rootShellReadsUnseenCode(cmd, analysis)) return 'stop';
  if (isDynamic(code.value)) analysis.report('shell.dynamic-code', 'moderate', 'Runs shell code that is only known when the command runs.', code.span);
  else analysis.analyseNested(code.value, 'posix', code.span);
  return 'stop';
}

function xargsInput(stdin: DataSource | undefined): string[] {
  if (stdin?.kind === 'text') {
    const words = stdin.text.split(/\s+/).filter(Boolean);
    if (words.length && words.length <= 64) return words;
  }
  // `find DIR ... | xargs cmd`: cmd gets what find lists, the contents of DIR.
  if (stdin?.kind === 'unknown' && stdin.items && stdin.items.paths.length && stdin.items.paths.length <= 16) {
    return stdin.items.paths.map((p) => p.value.replace(/[\\/]+$/, '') + '/*');
  }
  return [unknownValue('(xargs input)')];
}

/** zsh syntax the bash grammar cannot read and that does not change what runs: glob qualifiers
 *  (`*(.)`, `**\/*(D.om[1,5])`) and parameter flags (`${(f)var}`). Replaced by spaces so that
 *  offsets into the command stay the same. */
export function withoutZshOnlySyntax(text: string): string {
  return zshNestedExpansions(text)
    // `=(cmd)` is process substitution through a temporary file: `<(cmd)` for our purposes.
    .replace(/(^|[\s;|&])=\(/g, '$1<(')
    // `${~x}`, `${=x}`, `${^x}`: flags on a plain expansion; `${x}` says the same to us.
    .replace(/\$\{([~=^]+)(?=\w)/g, (_m, flags: string) => ' '.repeat(flags.length) + '${')
    .replace(/(^|[\s;|&(])([^\s;|&()]*[*?][^\s;|&()]*)(\(#?[-./@=p*%rwxRWXAIEsStfedDNnoOLmachUGFTMY^+:0-9,[\]'"<>{} ]*\))(?=[\s;|&)]|$)/g, (_m, lead: string, glob: string, qualifier: string) => lead + glob + ' '.repeat(qualifier.length))
    .replace(/\$\{(\([^()]*\))(\w+)/g, (_m, flags: string, name: string) => '${' + name + ' '.repeat(flags.length));
}

/** zsh's short loops, `for d in a b; cmd $d` and `for d (a b) cmd $d`, written the long way
 *  (`for d in a b; do cmd $d; done`) so the bash grammar reads them. This is the one rewrite that
 *  changes lengths: reasons after the loop's start point a few characters late (spans are kept
 *  inside the command). */
function zshShortLoops(text: string): string {
  if (!/\bfor\b/.test(text)) return text;
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^(\s*for\s+\w+\s+in\s+[^;\n]*;)(\s*)(?!\s*do\b)(\S[^\n]*?)\s*;?\s*$/, (_m, head: string, gap: string, body: string) => (/\bdone\b/.test(body) ? _m : `${head}${gap}do ${body}; done`))
        .replace(/^(\s*for\s+)(\w+)\s*\(([^()]*)\)\s*(?!\s*do\b)(\S[^\n]*?)\s*;?\s*$/, (_m, lead: string, name: string, words: string, body: string) => (/^\s*\{/.test(body) || /\bdone\b/.test(body) ? _m : `${lead}${name} in ${words}; do ${body}; done`)),
    )
    .join('\n');
}

/** `${#${(f)"$(cmd)"}}` and other nested zsh expansions: the commands inside still run, the rest
 *  is a value we cannot know. Rewritten to `$(cmd)` padded with spaces inside the quotes' reach. */
function zshNestedExpansions(text: string): string {
  let out = text;
  for (let guard = 0; guard < 16; guard++) {
    const m = /\$\{[#^=~+]*\$\{|\$\{[#^=~+]*\([^()]*\)["$]/.exec(out);
    if (!m) break;
    const start = m.index;
    let depth = 0;
    let end = -1;
    for (let i = start + 1; i < out.length; i++) {
      if (out[i] === '{') depth++;
      else if (out[i] === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) break;
    const inner = out.slice(start, end + 1);
    const sub = /\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/.exec(inner);
    const replacement = sub ? ('$(' + sub[1] + ')').padEnd(inner.length, ' ') : '$Z'.padEnd(inner.length, '_');
    out = out.slice(0, start) + replacement.slice(0, inner.length) + out.slice(end + 1);
  }
  return out;
}

const CD_NAMES: Record<string, 'cd' | 'pushd' | 'popd'> = {
  cd: 'cd', chdir: 'cd', pushd: 'pushd', popd: 'popd', 'set-location': 'cd', sl: 'cd', 'push-location': 'pushd', 'pop-location': 'popd',
};

/** `cd DIR`, `pushd DIR`, `popd`, `Set-Location -Path DIR`, `cd /d D:\x`: where the shell moves. */
function directoryChange(cmd: SimpleCommand): { target: string | undefined; how: 'cd' | 'pushd' | 'popd' } | undefined {
  const how = CD_NAMES[cmd.name];
  if (!how) return undefined;
  if (cmd.dialect === 'pwsh') {
    const path = cmd.args.findIndex((w) => /^-(path|literalpath|lp)$/i.test(w.value));
    if (path >= 0) return { target: cmd.args[path + 1]?.value, how };
    return { target: cmd.args.find((w) => !w.value.startsWith('-'))?.value, how };
  }
  if (cmd.dialect === 'cmd') {
    const target = cmd.args.filter((w) => !/^\/[a-z]$/i.test(w.value)).map((w) => w.value).join(' ');
    // A bare `cd` in cmd.exe prints the directory instead of moving.
    return target ? { target, how } : undefined;
  }
  const target = cmd.args.find((w, i) => !/^-[LPe@]+$/.test(w.value) || (w.value === '-' && i === cmd.args.length - 1));
  return { target: target?.value, how };
}

function scriptKey(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/{2,}/g, '/').toLowerCase();
}

function normalisedWords(cmd: SimpleCommand): string[] {
  return [cmd.name, ...cmd.args.map((w) => displayText(foldLookalikes(w.value)))];
}

export type RuleKind = 'allow' | 'deny';

/** Compile the config file's patterns. A pattern is a list of words matched against the whole
 *  resolved command, word by word: a word that is only `*` stands for any number of words (so
 *  `git push *` covers `git push --force`, `git push` alone covers nothing more than `git push`);
 *  inside a word, `*` is any characters and `?` one character. A deny rule also covers anything
 *  that follows it (`terraform destroy` blocks `terraform destroy -auto-approve`): blocking too
 *  much is the direction a deny list should err in. */
export function compileRules(patterns: readonly string[] | undefined, kind: RuleKind = 'allow'): CompiledRule[] {
  const out: CompiledRule[] = [];
  if (!Array.isArray(patterns)) return out;
  for (const raw of patterns) {
    if (typeof raw !== 'string') continue;
    const words = raw.trim().split(/\s+/).filter(Boolean);
    if (!words.length) continue;
    words[0] = commandBaseName(words[0]);
    if (kind === 'deny' && words[words.length - 1] !== '*') words.push('*');
    out.push({ pattern: raw, matches: (command) => wordsMatch(words, command) });
  }
  return out;
}

/** Pattern words against command words: a `*` word is any run of words, other words are globs
 *  over one word. Two-pointer matching, linear in practice, never backtracking exponentially. */
export function wordsMatch(pattern: readonly string[], words: readonly string[]): boolean {
  let p = 0;
  let w = 0;
  let star = -1;
  let resume = 0;
  while (w < words.length) {
    if (p < pattern.length && pattern[p] !== '*' && globMatch(pattern[p], words[w])) {
      p++;
      w++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = w;
    } else if (star >= 0) {
      p = star + 1;
      w = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** `*` any run of characters, `?` one character, everything else literal. Linear-time two-pointer
 *  matching (no regular expression), so a pattern with many stars cannot stall an assessment. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
