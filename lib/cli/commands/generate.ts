// `cmdai <request..>`: generate a command, then show it (TTY), print it (pipe) or emit JSON.
// yargs loads this module on every parse (it is the default command, shown in --help and next to
// every subcommand), so what the handler needs is required inside it, each with its reason.
import type { Argv, CommandModule } from 'yargs';
import type { CommandResult, GenerateCommandOptions } from '../../generate';
import type { InferenceBackend } from '../../backends/types';
import type { CmdaiConfig } from '../../config';
import type { Environment } from '../../prompt/environment';
import { CmdaiError } from '../../errors';
import { EXIT } from '../exit-codes';
import { checkModelArgs, checkRange, configFromArgs, ModelArgs, RANGES, remoteFlagsFromArgs, withModelOptions } from '../options';
import { abortOnInterrupt, paint, QuietInterruption, startSpinner, Spinner } from '../terminal';
import type { PendingKey } from '../interactive';

export interface GenerateArgs extends ModelArgs {
  request?: (string | number)[];
  json?: boolean;
  print?: boolean;
  dryRun?: boolean;
  alternatives?: number;
  command?: string;
  trustContext?: boolean;
}

export function generateBuilder<T>(yargs: Argv<T>) {
  return withModelOptions(yargs)
    .positional('request', { type: 'string', array: true, describe: 'what you want done, in plain words (or on stdin)' })
    .option('json', { type: 'boolean', describe: 'print the whole result as JSON (never runs it; not with --print)', group: 'Output:' })
    .option('print', { type: 'boolean', describe: 'print only the command, even on a terminal (never runs it; not with --json)', group: 'Output:' })
    .option('dry-run', { type: 'boolean', describe: 'show what would run, but never run it', group: 'Output:' })
    .option('alternatives', { alias: 'n', type: 'number', describe: `also suggest up to this many alternative commands (${RANGES.alternatives.min} to ${RANGES.alternatives.max})`, group: 'Output:' })
    .option('command', {
      type: 'string',
      describe: 'review a command you already have: assess it and open the menu, without generating',
      group: 'Output:',
    })
    .option('trust-context', {
      type: 'boolean',
      describe: 'with --yes, run a command written from piped input (otherwise it is shown, not run: exit 3)',
      group: 'Output:',
    });
}

const generateCommandModule: CommandModule<object, GenerateArgs> = {
  command: '$0 [request..]',
  describe: 'Turn a plain-English request into a command',
  builder: (yargs) => generateBuilder(yargs) as unknown as Argv<GenerateArgs>,
  handler: async (argv) => {
    process.exitCode = await runGenerate(argv);
  },
};

export default generateCommandModule;

export async function runGenerate(argv: GenerateArgs): Promise<number> {
  checkArgs(argv);
  const config = configFromArgs(argv);
  // Probing the machine (tools, userland) only when a command is wanted.
  const { detectEnvironment } = require('../../prompt/environment') as typeof import('../../prompt/environment');
  const environment = detectEnvironment({ shell: config.shell });
  const interactive = !argv.json && !argv.print && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const session = new BackendSession(config, argv, interactive, environment.shell);

  try {
    const result = argv.command !== undefined ? reviewResult(argv.command, config, environment) : await generate(argv, config, environment, session, interactive);
    if (argv.verbose) reportDetails(result);
    if (argv.json) return printJson(result, await previewFor(result, environment));
    if (interactive) {
      // The menu (and the pipeline it uses for revise and explain) only on a terminal.
      const { interactiveMenu, renderResult } = require('../interactive') as typeof import('../interactive');
      if (argv.command !== undefined) renderResult(result, process.stdout);
      return await interactiveMenu({
        result,
        dryRun: Boolean(argv.dryRun),
        backend: () => session.get(),
        generateOptions: generateOptions(config, environment, argv),
        assess: (command) => assess(command, environment, config),
        firstKey: session.firstKey,
      });
    }
    if (argv.dryRun) {
      const impact = await previewFor(result, environment);
      const { impactLine } = require('../../impact/display') as typeof import('../../impact/display');
      if (impact) process.stderr.write(`cmdai: dry run: ${impactLine(impact, environment.cwd)}\n`);
    }
    return await printOrRun(result, argv);
  } finally {
    // Without the menu nothing runs on after the answer, and the process exits right after this
    // (lib/cli/main.ts): the OS takes an in-process model back at exit faster than freeing it
    // piece by piece (~0.1 s for the 1.5B model), and `$(cmdai --print ...)` in a shell binding
    // gets its command that much sooner. The menu may leave an explanation streaming: stopped here.
    if (interactive) await session.dispose();
    else session.stopSpinner();
  }
}

function checkArgs(argv: GenerateArgs): void {
  checkModelArgs(argv);
  checkRange('alternatives', argv.alternatives);
  if (argv.json && argv.print) {
    throw new CmdaiError('USAGE', '--json and --print ask for two different outputs; give one of them.', {
      hint: '--json prints the whole result as JSON, --print only the command.',
    });
  }
}

/** Creates the backend on first need and disposes it at the end. */
class BackendSession {
  private backend?: InferenceBackend;
  spinner?: Spinner;
  /** A key already being read: the menu showed while the explanation streamed. */
  firstKey?: PendingKey;

  constructor(
    private readonly config: CmdaiConfig,
    private readonly argv: GenerateArgs,
    private readonly interactive: boolean,
    private readonly shell: string,
  ) {}

  /** The assessor's warm-up, scheduled once, at the start of a load. */
  private warmUp?: NodeJS.Immediate;

  get dryRun(): boolean {
    return Boolean(this.argv.dryRun);
  }

  get(): InferenceBackend {
    if (!this.backend) {
      // The backends (engine binding, HTTP client) only when a model is asked.
      const { createBackend } = require('../../backends') as typeof import('../../backends');
      const { residentSettings } = require('../../generate') as typeof import('../../generate');
      const verbose = this.argv.verbose;
      const onNotice = (message: string) => verbose && process.stderr.write(`cmdai: ${message}\n`);
      this.backend = createBackend(this.config, {
        resident: residentSettings(this.config, this.config.resident ?? true, onNotice),
        onNotice,
        flags: remoteFlagsFromArgs(this.argv),
        yes: this.argv.yes,
        interactive: this.interactive,
        onLoadProgress: (fraction) => {
          if (!this.warmUp && fraction < 1) {
            // A load keeps one core busy and leaves the main thread waiting: the safety assessor
            // (rule tables, shell parser) loads now rather than while the model computes on
            // every core. Cancelled with the spinner if it has not run by then.
            this.warmUp = setImmediate(() => (require('../../safety') as typeof import('../../safety')).warmUpAssessor(this.shell));
          }
          this.spinner ??= startSpinner(process.stderr, 'Loading model');
          this.spinner.text(fraction >= 1 ? 'Thinking' : `Loading model ${Math.round(fraction * 100)}%`);
        },
        onWarning: (message) => process.stderr.write(`cmdai: ${message}\n`),
        onSecretsRedacted: this.argv.verbose
          ? (count, name) => process.stderr.write(`cmdai: ${count} secret${count === 1 ? '' : 's'} redacted from the request to ${name}\n`)
          : undefined,
      });
    }
    return this.backend;
  }

  stopSpinner(): void {
    if (this.warmUp) clearImmediate(this.warmUp);
    this.spinner?.stop();
    this.spinner = undefined;
  }

  async dispose(): Promise<void> {
    this.stopSpinner();
    await this.backend?.dispose();
  }
}

function generateOptions(config: CmdaiConfig, environment: Environment, argv: GenerateArgs): GenerateCommandOptions {
  return { config, environment, safety: config.safety.policy, yes: argv.yes, maxTokens: argv.maxTokens };
}

async function generate(argv: GenerateArgs, config: CmdaiConfig, environment: Environment, session: BackendSession, interactive: boolean): Promise<CommandResult> {
  // The pipeline (prompt, schema, safety) only when generating.
  const { readRequest } = require('../request') as typeof import('../request');
  const { generateCommand, checkRequest } = require('../../generate') as typeof import('../../generate');
  // Words after `--` (as the shell integrations pass them) land in argv._.
  const words = [...(argv.request ?? []), ...((argv as { _?: (string | number)[] })._ ?? [])];
  const request = checkRequest(await readRequest(words));
  // Words are the request, so anything piped in is context: data about the request, never instructions.
  const { readPipedContext } = require('../../context/stdin') as typeof import('../../context/stdin');
  const context = words.length > 0 ? await readPipedContext() : undefined;
  const backend = session.get();
  if (config.backend !== 'embedded' && process.stderr.isTTY) session.spinner = startSpinner(process.stderr, `Asking ${config.backend}`);
  const stopSlowNotice = noticeSlowServer(argv, config, session);
  const interrupt = abortOnInterrupt();

  // -n: each alternative is another full answer; say which one is being sampled.
  const onAlternative = (found: number, wanted: number) => {
    stopSlowNotice();
    const label = `Sampling alternative ${found + 1} of ${wanted}`;
    if (!process.stderr.isTTY) return;
    session.spinner ??= startSpinner(process.stderr, label);
    session.spinner.text(label);
  };
  const base = { ...generateOptions(config, environment, argv), backend, alternatives: argv.alternatives, onAlternative, signal: interrupt.signal, context };
  try {
    let result: CommandResult;
    // Printed, piped or run directly: only the command is used, so generation stops once it is complete.
    if (!interactive) result = await generateCommand(request, { ...base, commandOnly: !argv.json });
    else if (!argv.alternatives) result = await generateCommandFirst(request, base, environment, config, session, stopSlowNotice);
    else result = await generateThenShow(request, base, session, stopSlowNotice);
    reportShortfall(result, argv.alternatives ?? 0);
    return result;
  } catch (err) {
    if (interrupt.signal.aborted) throw new QuietInterruption(err);
    throw err;
  } finally {
    interrupt.restore();
    stopSlowNotice();
    session.stopSpinner();
  }
}

/** After this long without an answer from a remote server, say what cmdai is waiting for. */
const SLOW_SERVER_NOTICE_MS = 5_000;

/** A server that accepts the connection and stays silent would otherwise cost a silent wait; returns a canceller. */
function noticeSlowServer(argv: GenerateArgs, config: CmdaiConfig, session: BackendSession): () => void {
  if (config.backend === 'embedded') return () => {};
  const section = config[config.backend];
  const endpoint = displayEndpoint(argv.endpoint ?? section.endpoint ?? (config.backend === 'openai' ? 'http://127.0.0.1:8000/v1' : ''));
  const seconds = Math.round((argv.timeout ?? section.timeout_ms) / 1000);
  const timer = setTimeout(() => {
    const text = `waiting for ${config.backend} at ${endpoint} to answer (gives up after ${seconds} s; --timeout changes that)`;
    if (session.spinner && process.stderr.isTTY) session.spinner.text(`Still ${text}`);
    else process.stderr.write(`cmdai: ${text}\n`);
  }, SLOW_SERVER_NOTICE_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

/** The endpoint without any user:password part. */
function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return endpoint;
  }
}

/** Fewer alternatives than asked is normal (a sample repeated a command or was cut off); say so rather than stay silent. */
function reportShortfall(result: CommandResult, wanted: number): void {
  if (wanted === 0 || result.alternatives.length === wanted) return;
  process.stderr.write(`cmdai: ${result.alternatives.length} of ${wanted} alternatives found; the other samples repeated a command or were unusable.\n`);
}

/** The menu as soon as the command is complete; the explanation streams in beneath it. */
async function generateCommandFirst(
  request: string,
  options: GenerateCommandOptions,
  environment: Environment,
  config: CmdaiConfig,
  session: BackendSession,
  stopSlowNotice: () => void,
): Promise<CommandResult> {
  const { generateCommand } = require('../../generate') as typeof import('../../generate');
  const { commandFirstDisplay, renderResult } = require('../interactive') as typeof import('../interactive');
  const display = commandFirstDisplay({
    input: process.stdin,
    out: process.stdout,
    assess: (command) => assess(command, environment, config),
    dryRun: session.dryRun,
    onFirstOutput: () => {
      stopSlowNotice();
      session.stopSpinner();
    },
  });
  let result: CommandResult;
  try {
    result = await generateCommand(request, {
      ...options,
      onCommandText: (text) => display.onCommandText(text),
      onCommand: (command) => display.onCommand(command),
      onExplanationText: (text) => display.onExplanationText(text),
      onRestart: () => display.onRestart(),
      endEarly: display.endEarly,
    });
  } catch (err) {
    display.finish(true);
    throw err;
  }
  display.finish(false);
  session.firstKey = display.pendingKey;
  // Without a streamed command (a backend that does not stream) the whole result is shown now.
  if (!session.firstKey) renderResult(result, process.stdout);
  return result;
}

/** With alternatives: the command streams, then everything is shown once all are generated. */
async function generateThenShow(request: string, options: GenerateCommandOptions, session: BackendSession, stopSlowNotice: () => void): Promise<CommandResult> {
  const { generateCommand } = require('../../generate') as typeof import('../../generate');
  let streamed = '';
  const out = process.stdout;
  const onCommandText = (text: string) => {
    if (streamed === '') {
      stopSlowNotice();
      session.stopSpinner();
      out.write('\n  ');
    }
    streamed += text;
    out.write(paint(out).bold(text.replace(/\n/g, '\n  ')));
  };
  const onRestart = () => {
    if (streamed !== '') out.write(`\n  ${paint(out).dim('(starting the answer again in this process)')}\n`);
    streamed = '';
  };
  const result = await generateCommand(request, { ...options, onCommandText, onRestart });
  session.stopSpinner();
  const { renderAlternatives, renderResult } = require('../interactive') as typeof import('../interactive');
  if (streamed !== '') out.write('\n');
  renderResult(result, out, streamed.trim() !== result.command);
  renderAlternatives(result, out);
  return result;
}

function assess(command: string, environment: Environment, config: CmdaiConfig) {
  // The assessor (lib/safety) only when there is a command to assess.
  const { assessRisk } = require('../../generate') as typeof import('../../generate');
  return assessRisk(command, environment.shell, config.safety.policy, config);
}

/** `--command`: the menu for a command the user already has; nothing is generated. */
function reviewResult(command: string, config: CmdaiConfig, environment: Environment): CommandResult {
  const text = command.trim();
  if (text === '') throw new CmdaiError('USAGE', '--command is empty.', { hint: 'Give the command to review, e.g. --command "du -sh *"' });
  // The prompt builder only for --command (the conversation a revision starts from).
  const { buildUserMessage, assistantTurn } = require('../../prompt/system') as typeof import('../../prompt/system');
  return {
    command: text,
    explanation: '',
    risk: assess(text, environment, config),
    alternatives: [],
    backend: 'none',
    model: 'none',
    shell: environment.shell,
    timings: { load: 0, prompt: 0, timeToFirstToken: 0, generation: 0, total: 0, resident: false },
    conversation: [{ role: 'user', content: buildUserMessage(`run this command: ${text}`, environment.cwd) }, assistantTurn(text, '')],
  };
}

function publicResult(result: CommandResult): Omit<CommandResult, 'conversation'> {
  const { conversation: _conversation, ...rest } = result;
  return rest;
}

/** What the command would touch here (lib/impact), for --json and --dry-run. */
async function previewFor(result: CommandResult, environment: Environment) {
  const { previewImpact } = require('../../impact') as typeof import('../../impact');
  return (await previewImpact(result.command, { cwd: environment.cwd, shell: result.shell })) ?? null;
}

function printJson(result: CommandResult, impact: unknown): number {
  process.stdout.write(JSON.stringify({ ...publicResult(result), impact }, null, 2) + '\n');
  return result.risk.decision === 'blocked' ? EXIT.BLOCKED : EXIT.OK;
}

function reasonsText(result: CommandResult): string {
  return result.risk.reasons.map((reason) => reason.message).join('; ') || `rated ${result.risk.level}`;
}

async function printOrRun(result: CommandResult, argv: GenerateArgs): Promise<number> {
  if (result.risk.decision === 'blocked') {
    process.stderr.write(`cmdai: blocked by the safety policy (${result.risk.level}): ${reasonsText(result)}\n`);
    process.stderr.write(`cmdai: the command was: ${result.command}\n`);
    return EXIT.BLOCKED;
  }
  process.stdout.write(result.command + '\n');
  if (result.risk.level === 'high' || result.risk.level === 'critical') {
    process.stderr.write(`cmdai: rated ${result.risk.level}: ${reasonsText(result)}\n`);
  }
  // stdout carries the one command a script may run; the alternatives are for the person reading.
  for (const [i, alternative] of result.alternatives.entries()) {
    process.stderr.write(`cmdai: alternative ${i + 1} [${alternative.risk.level}]: ${alternative.command}\n`);
  }
  if (!argv.yes || argv.print) return EXIT.OK;
  if (result.context && !argv.trustContext && !argv.dryRun) {
    process.stderr.write('cmdai: not run: the command was written from piped input, which may carry instructions from whoever wrote it.\n');
    process.stderr.write('cmdai: read it, then run it yourself, or add --trust-context to let --yes run it.\n');
    return EXIT.BLOCKED;
  }
  if (result.risk.level === 'critical') {
    // Whatever the policy: a critical command runs only after a person has read it and said so.
    process.stderr.write('cmdai: not run: --yes never approves a critical command, under any --safety policy.\n');
    process.stderr.write('cmdai: read it, then run it yourself, or run it from the menu on a terminal.\n');
    return EXIT.BLOCKED;
  }
  if (argv.dryRun) {
    process.stderr.write(`cmdai: dry run: would run it with ${result.shell}\n`);
    return EXIT.OK;
  }
  // child_process only when a command is run.
  const { runInShell } = require('../run') as typeof import('../run');
  return runInShell(result.shell, result.command);
}

function reportDetails(result: CommandResult): void {
  const t = result.timings;
  process.stderr.write(
    `cmdai: backend ${result.backend}${t.resident ? ' (resident)' : ''}, model ${result.model}, shell ${result.shell}; ` +
      `load ${t.load} ms, prompt ${t.prompt} ms${promptTokenNote(t)}, first token ${t.timeToFirstToken} ms, ` +
      `generation ${t.generation} ms${t.generatedTokens === undefined ? '' : ` (${t.generatedTokens} tokens)`}, total ${t.total} ms\n`,
  );
}

/** " (31 of 516 tokens evaluated, the rest cached)" when the backend said. */
function promptTokenNote(t: CommandResult['timings']): string {
  if (t.promptTokens === undefined) return '';
  const cached = t.cachedPromptTokens ?? 0;
  return cached > 0 ? ` (${t.promptTokens - cached} of ${t.promptTokens} tokens evaluated, the rest cached)` : ` (${t.promptTokens} tokens)`;
}
