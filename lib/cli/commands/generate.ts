// `cmdai <request..>`: generate a command, then show it (TTY), print it (pipe) or emit JSON.
// Heavy modules (the engine, HTTP client, safety parser) are required inside the handler only.
import type { Argv, CommandModule } from 'yargs';
import type { CommandResult, GenerateCommandOptions } from '../../generate';
import type { InferenceBackend } from '../../backends/types';
import type { CmdaiConfig } from '../../config';
import type { Environment } from '../../prompt/environment';
import { CmdaiError } from '../../errors';
import { EXIT } from '../exit-codes';
import { configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';
import { paint, startSpinner, Spinner } from '../terminal';
import type { PendingKey } from '../interactive';

export interface GenerateArgs extends ModelArgs {
  request?: (string | number)[];
  json?: boolean;
  print?: boolean;
  dryRun?: boolean;
  alternatives?: number;
  command?: string;
}

export function generateBuilder<T>(yargs: Argv<T>) {
  return withModelOptions(yargs)
    .positional('request', { type: 'string', array: true, describe: 'what you want done, in plain words (or on stdin)' })
    .option('json', { type: 'boolean', describe: 'print the whole result as JSON (never runs it)', group: 'Output:' })
    .option('print', { type: 'boolean', describe: 'print only the command, even on a terminal (never runs it)', group: 'Output:' })
    .option('dry-run', { type: 'boolean', describe: 'show what would run, but never run it', group: 'Output:' })
    .option('alternatives', { alias: 'n', type: 'number', describe: 'also suggest this many alternative commands', group: 'Output:' })
    .option('command', {
      type: 'string',
      describe: 'review a command you already have: assess it and open the menu, without generating',
      group: 'Output:',
    });
}

const generateCommandModule: CommandModule<object, GenerateArgs> = {
  command: '$0 [request..]',
  describe: 'Turn a plain-English request into a shell command',
  builder: (yargs) => generateBuilder(yargs) as unknown as Argv<GenerateArgs>,
  handler: async (argv) => {
    process.exitCode = await runGenerate(argv);
  },
};

export default generateCommandModule;

export async function runGenerate(argv: GenerateArgs): Promise<number> {
  checkNumbers(argv);
  const config = configFromArgs(argv);
  const { detectEnvironment } = require('../../prompt/environment') as typeof import('../../prompt/environment');
  const environment = detectEnvironment({ shell: config.shell });
  const interactive = !argv.json && !argv.print && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const session = new BackendSession(config, argv, interactive);

  try {
    const result = argv.command !== undefined ? reviewResult(argv.command, config, environment) : await generate(argv, config, environment, session, interactive);
    if (argv.verbose) reportDetails(result);
    if (argv.json) return printJson(result);
    if (interactive) {
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
    return await printOrRun(result, argv);
  } finally {
    await session.dispose();
  }
}

function checkNumbers(argv: GenerateArgs): void {
  const check = (flag: string, value: number | undefined, min: number) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) {
      throw new CmdaiError('USAGE', `${flag} must be a whole number (${min} or more).`);
    }
  };
  check('--timeout', argv.timeout, 1);
  check('--retries', argv.retries, 0);
  check('--alternatives', argv.alternatives, 0);
  check('--max-tokens', argv.maxTokens, 48);
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
  ) {}

  get(): InferenceBackend {
    if (!this.backend) {
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
          this.spinner ??= startSpinner(process.stderr, 'Loading model');
          this.spinner.text(fraction >= 1 ? 'Thinking' : `Loading model ${Math.round(fraction * 100)}%`);
        },
        onWarning: (message) => process.stderr.write(`cmdai: ${message}\n`),
      });
    }
    return this.backend;
  }

  stopSpinner(): void {
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
  const { readRequest } = require('../request') as typeof import('../request');
  const { generateCommand, checkRequest } = require('../../generate') as typeof import('../../generate');
  // Words after `--` (as the shell integrations pass them) land in argv._.
  const words = [...(argv.request ?? []), ...((argv as { _?: (string | number)[] })._ ?? [])];
  const request = checkRequest(await readRequest(words));
  const backend = session.get();
  if (config.backend !== 'embedded' && process.stderr.isTTY) session.spinner = startSpinner(process.stderr, `Asking ${config.backend}`);

  const base = { ...generateOptions(config, environment, argv), backend, alternatives: argv.alternatives };
  try {
    // Printed, piped or run directly: only the command is used, so generation stops once it is complete.
    if (!interactive) return await generateCommand(request, { ...base, commandOnly: !argv.json });
    if (!argv.alternatives) return await generateCommandFirst(request, base, environment, config, session);
    return await generateThenShow(request, base, session);
  } finally {
    session.stopSpinner();
  }
}

/** The menu as soon as the command is complete; the explanation streams in beneath it. */
async function generateCommandFirst(
  request: string,
  options: GenerateCommandOptions,
  environment: Environment,
  config: CmdaiConfig,
  session: BackendSession,
): Promise<CommandResult> {
  const { generateCommand } = require('../../generate') as typeof import('../../generate');
  const { commandFirstDisplay, renderResult } = require('../interactive') as typeof import('../interactive');
  const display = commandFirstDisplay({
    input: process.stdin,
    out: process.stdout,
    assess: (command) => assess(command, environment, config),
    onFirstOutput: () => session.stopSpinner(),
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
async function generateThenShow(request: string, options: GenerateCommandOptions, session: BackendSession): Promise<CommandResult> {
  const { generateCommand } = require('../../generate') as typeof import('../../generate');
  let streamed = '';
  const out = process.stdout;
  const onCommandText = (text: string) => {
    if (streamed === '') {
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
  const { renderResult } = require('../interactive') as typeof import('../interactive');
  if (streamed !== '') out.write('\n');
  renderResult(result, out, streamed.trim() !== result.command);
  for (const [i, alternative] of result.alternatives.entries()) {
    out.write(`\n  ${paint(out).dim(`alternative ${i + 1}:`)} ${alternative.command}  ${paint(out).dim(`[${alternative.risk.level}]`)}\n`);
  }
  return result;
}

function assess(command: string, environment: Environment, config: CmdaiConfig) {
  const { assessRisk } = require('../../generate') as typeof import('../../generate');
  return assessRisk(command, environment.shell, config.safety.policy, config);
}

/** `--command`: the menu for a command the user already has; nothing is generated. */
function reviewResult(command: string, config: CmdaiConfig, environment: Environment): CommandResult {
  const text = command.trim();
  if (text === '') throw new CmdaiError('USAGE', '--command is empty.', { hint: 'Give the command to review, e.g. --command "du -sh *"' });
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

function printJson(result: CommandResult): number {
  process.stdout.write(JSON.stringify(publicResult(result), null, 2) + '\n');
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
  if (!argv.yes || argv.print) return EXIT.OK;
  if (argv.dryRun) {
    process.stderr.write(`cmdai: dry run: would run it with ${result.shell}\n`);
    return EXIT.OK;
  }
  const { runInShell } = require('../run') as typeof import('../run');
  return runInShell(result.shell, result.command);
}

function reportDetails(result: CommandResult): void {
  const t = result.timings;
  process.stderr.write(
    `cmdai: backend ${result.backend}${t.resident ? ' (resident)' : ''}, model ${result.model}, shell ${result.shell}; ` +
      `load ${t.load} ms, prompt ${t.prompt} ms, first token ${t.timeToFirstToken} ms, generation ${t.generation} ms, total ${t.total} ms\n`,
  );
}
