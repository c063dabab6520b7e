// The pipeline: environment -> prompt -> backend (schema-constrained) -> JSON.parse -> safety.
import type { ChatMessage } from './engine/types';
import type { GenerateRequest, GenerateResult, InferenceBackend } from './backends/types';
import { CmdaiConfig, loadConfig, parseDurationMs, SafetyPolicy, ShellName } from './config';
import { CmdaiError } from './errors';
import {
  assistantTurn,
  buildExplainSystemPrompt,
  buildExplainUserMessage,
  buildRevisionMessage,
  buildSystemPrompt,
  buildUserMessage,
  USER_MESSAGE_START,
  commandAnswerSchema,
  detectEnvironment,
  Environment,
  explanationSchema,
  limitsForTokenBudget,
  MAX_REQUEST_CHARS,
  parseCommandAnswer,
  parseExplanation,
} from './prompt';
import { JsonAnswerStream } from './prompt/stream';
import { assessCommand, warmUpAssessor, type Assessment } from './safety';
import { currentRunContext } from './safety/where';
import { boundContext, contextBlock, type PipedContext } from './context';

export type RiskAssessment = Assessment;
export type { RiskLevel, RiskReason, SafetyDecision } from './safety';

/** Every command shown or run is assessed, with the user's allow/deny rules from the config. */
export function assessRisk(command: string, shell: ShellName, policy: SafetyPolicy, config?: CmdaiConfig): RiskAssessment {
  return assessCommand(command, { shell, policy, rules: { allow: config?.safety.allow, deny: config?.safety.deny }, ...currentRunContext() });
}

export interface CommandTimings {
  /** Model load in this call (0 when the backend had it loaded already). */
  load: number;
  /** Processing the prompt (only the uncached part). */
  prompt: number;
  timeToFirstToken: number;
  generation: number;
  total: number;
  /** Prompt tokens, of them restored from the cached system prompt, and tokens generated (when the backend reports them). */
  promptTokens?: number;
  cachedPromptTokens?: number;
  generatedTokens?: number;
  /** True when the resident model (a background cmdai server) answered. */
  resident: boolean;
}

export interface CommandAlternative {
  command: string;
  explanation: string;
  risk: RiskAssessment;
}

export interface CommandResult {
  command: string;
  explanation: string;
  risk: RiskAssessment;
  alternatives: CommandAlternative[];
  /** The backend that answered (after any fallback). */
  backend: string;
  model: string;
  shell: ShellName;
  timings: CommandTimings;
  /** The user and assistant turns so far (no system prompt); pass to reviseCommand. */
  conversation: ChatMessage[];
  /** Present when piped input was given as context: its size, and whether its middle was cut. */
  context?: { bytes: number; truncated: boolean };
}

export interface GenerateCommandOptions {
  /** A backend to use (and keep); without one, a backend is built from the config and disposed after. */
  backend?: InferenceBackend;
  /** Effective configuration; loaded from the usual places when omitted. */
  config?: CmdaiConfig;
  /** Target shell; defaults to config, then detection. */
  shell?: ShellName;
  safety?: SafetyPolicy;
  /** How many different alternatives to add besides the main command. */
  alternatives?: number;
  /** Detected machine facts; detected when omitted. */
  environment?: Environment;
  /** Token budget for one answer (default 768: room for a ~200-character command). */
  maxTokens?: number;
  /** Sampling temperature for the main answer (default 0: the most likely command). */
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Characters of the command as the model writes them (display only). */
  onCommandText?: (text: string) => void;
  /** The complete command, as soon as its string closes (the explanation is still being written). */
  onCommand?: (command: string) => void;
  /** Characters of the explanation as the model writes them (display only). */
  onExplanationText?: (text: string) => void;
  /**
   * The answer is being generated again from the start (the resident model went away mid-answer
   * and the request is answered in-process): a display should clear what it showed.
   */
  onRestart?: () => void;
  /** Stop generating as soon as the command is complete; the explanation stays empty (`--print`). */
  commandOnly?: boolean;
  /**
   * When this fires, only the command is still wanted: generation stops as soon as the command
   * is complete (at once if it already is), and the explanation keeps what was written so far.
   */
  endEarly?: AbortSignal;
  /**
   * Ask the resident model, a background cmdai server that keeps the model loaded (started on
   * first use, see specs/resident.md). Default: the config's \`resident\` key (off unless set).
   * Ignored when \`backend\` is given.
   */
  resident?: boolean;
  /** Consent to download a missing model without asking (CLI --yes). */
  yes?: boolean;
  /** Called before each sample for an alternative: how many are found so far, and how many are wanted. */
  onAlternative?: (found: number, wanted: number) => void;
  /** Earlier user/assistant turns (revision). */
  conversation?: ChatMessage[];
  /**
   * Untrusted text the request is about (a diff, a log): bounded to a head and a tail, and given to
   * the model as delimited data it is told not to obey. A string is bounded with the default budget.
   */
  context?: string | PipedContext;
}

export const DEFAULT_MAX_TOKENS = 768;

/** Turns a plain-English request into one command for the user's shell, assessed for risk. */
export async function generateCommand(request: string, options: GenerateCommandOptions = {}): Promise<CommandResult> {
  const text = checkRequest(request);
  const environment = resolveEnvironment(options);
  const context = typeof options.context === 'string' ? boundContext(options.context) : options.context;
  const block = context ? contextBlock(context) : undefined;
  const userTurn: ChatMessage = {
    role: 'user',
    content: options.conversation?.length ? buildRevisionMessage(text) : buildUserMessage(text, environment.cwd, block),
  };
  const result = await withBackend(options, (backend, config) => answer(backend, config, environment, [...(options.conversation ?? []), userTurn], options));
  return context ? { ...result, context: { bytes: context.bytes, truncated: context.truncated } } : result;
}

/** Regenerates with a refinement, keeping the conversation so far ("make it recursive"). */
export async function reviseCommand(previous: CommandResult, refinement: string, options: GenerateCommandOptions = {}): Promise<CommandResult> {
  const result = await generateCommand(refinement, { ...options, context: undefined, shell: options.shell ?? previous.shell, conversation: previous.conversation });
  // The piped input is in the conversation already; the revised command still comes from it.
  return previous.context ? { ...result, context: previous.context } : result;
}

export interface CommandExplanation {
  command: string;
  explanation: string;
  risk: RiskAssessment;
  backend: string;
  model: string;
  shell: ShellName;
}

/** Asks the model to explain an existing command, and assesses it. */
export async function explainCommand(command: string, options: GenerateCommandOptions = {}): Promise<CommandExplanation> {
  const text = command.trim();
  if (text === '') throw new CmdaiError('USAGE', 'No command to explain.', { hint: 'Try: cmdai explain "tar -xzf archive.tgz"' });
  if (text.length > MAX_REQUEST_CHARS) throw tooLong(text.length, 'command');
  const environment = resolveEnvironment(options);
  return withBackend(options, async (backend, config) => {
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    const result = await backend.generate({
      messages: [
        { role: 'system', content: buildExplainSystemPrompt(environment) },
        { role: 'user', content: buildExplainUserMessage(text) },
      ],
      jsonSchema: explanationSchema(Math.max(16, maxTokens - 16)),
      maxTokens,
      temperature: 0,
      signal: options.signal,
    });
    return {
      command: text,
      explanation: parseExplanation(result.text, result.stopReason),
      risk: assessRisk(text, environment.shell, options.safety ?? config.safety.policy, config),
      backend: result.backend,
      model: result.model,
      shell: environment.shell,
    };
  });
}

/** Empty, oversized or non-text requests are usage errors with a way forward. */
export function checkRequest(request: string): string {
  const text = typeof request === 'string' ? request.trim() : '';
  if (text === '') {
    throw new CmdaiError('USAGE', 'No request given.', { hint: 'Say what you want done, e.g. cmdai "find files larger than 100MB".' });
  }
  if (text.length > MAX_REQUEST_CHARS) throw tooLong(text.length, 'request');
  if (text.includes('\0')) {
    throw new CmdaiError('USAGE', 'The request contains NUL bytes; it must be plain text.');
  }
  return text;
}

function tooLong(length: number, what: string): CmdaiError {
  return new CmdaiError('USAGE', `The ${what} is ${length.toLocaleString('en-US')} characters; the limit is ${MAX_REQUEST_CHARS.toLocaleString('en-US')}.`, {
    hint: `Shorten the ${what} to a sentence or two.`,
  });
}

function resolveEnvironment(options: GenerateCommandOptions): Environment {
  const shell = options.shell ?? options.config?.shell;
  if (options.environment) return shell ? { ...options.environment, shell } : options.environment;
  return detectEnvironment({ shell });
}

async function withBackend<T>(options: GenerateCommandOptions, use: (backend: InferenceBackend, config: CmdaiConfig) => Promise<T>): Promise<T> {
  const config = options.config ?? loadConfig();
  if (options.backend) return use(options.backend, config);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: callers that pass their own backend never load the backends and engines
  const { createBackend } = require('./backends') as typeof import('./backends');
  const backend = createBackend(config, { yes: options.yes, resident: residentSettings(config, options.resident ?? config.resident ?? false) });
  try {
    return await use(backend, config);
  } finally {
    await backend.dispose();
  }
}

/** The resident model's settings when it is wanted and keepAlive is not 0; undefined otherwise. */
export function residentSettings(config: CmdaiConfig, wanted: boolean, onNotice?: (message: string) => void): { keepAliveMs: number; onNotice?: (message: string) => void } | undefined {
  if (!wanted) return undefined;
  const keepAliveMs = parseDurationMs(config.keepAlive) ?? 0;
  return keepAliveMs > 0 ? { keepAliveMs, onNotice } : undefined;
}

async function answer(
  backend: InferenceBackend,
  config: CmdaiConfig,
  environment: Environment,
  turns: ChatMessage[],
  options: GenerateCommandOptions,
): Promise<CommandResult> {
  const started = performance.now();
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const policy = options.safety ?? config.safety.policy;
  const messages: ChatMessage[] = [{ role: 'system', content: buildSystemPrompt(environment) }, ...turns];
  const jsonSchema = commandAnswerSchema(limitsForTokenBudget(maxTokens));

  // The assessor (rule tables, shell parser) loads while the model writes the command: the main
  // thread is only waiting then (on the engine's worker thread or the socket), and the command is
  // assessed the moment it closes instead of after a cold load. Never left pending once the
  // answer is in: nothing of this call may run after it returns.
  let warmUp: NodeJS.Immediate | undefined;
  let answered;
  try {
    answered = await generateAnswer(backend, {
      messages,
      stableUserStart: USER_MESSAGE_START,
      jsonSchema,
      maxTokens,
      temperature: options.temperature ?? 0,
      seed: options.seed,
      signal: options.signal,
    }, {
      ...options,
      onAnswerStart: () => {
        warmUp = setImmediate(() => warmUpAssessor(environment.shell));
      },
    });
  } finally {
    if (warmUp) clearImmediate(warmUp);
  }
  const { result: main, answer: parsed } = answered;

  const alternatives: CommandAlternative[] = [];
  const wanted = Math.max(0, Math.floor(options.alternatives ?? 0));
  const seen = new Set([parsed.command]);
  // Sampling (not greedy) so each attempt can differ; a few extra tries make up for duplicates.
  for (let attempt = 0; alternatives.length < wanted && attempt < wanted * 2 + 1; attempt++) {
    options.onAlternative?.(alternatives.length, wanted);
    let candidate;
    try {
      ({ answer: candidate } = await generateAnswer(backend, {
        messages,
        jsonSchema,
        maxTokens,
        temperature: 0.8,
        seed: (options.seed ?? 1) + attempt + 1,
        signal: options.signal,
      }, { commandOnly: options.commandOnly }));
    } catch (err) {
      if (options.signal?.aborted) throw err;
      continue; // one bad sample does not sink the main answer
    }
    if (seen.has(candidate.command)) continue;
    seen.add(candidate.command);
    alternatives.push({ ...candidate, risk: assessRisk(candidate.command, environment.shell, policy, config) });
  }

  return {
    command: parsed.command,
    explanation: parsed.explanation,
    risk: assessRisk(parsed.command, environment.shell, policy, config),
    alternatives,
    backend: main.backend,
    model: main.model,
    shell: environment.shell,
    timings: commandTimings(main, performance.now() - started),
    conversation: [...turns, assistantTurn(parsed.command, parsed.explanation)],
  };
}

type AnswerHooks = Pick<GenerateCommandOptions, 'onCommandText' | 'onCommand' | 'onExplanationText' | 'onRestart' | 'commandOnly' | 'endEarly'> & {
  /** Called once, when the first piece of the answer arrives (the model is still writing the command). */
  onAnswerStart?: () => void;
};

/**
 * One schema-constrained generation, followed as it streams. Generation stops early when the
 * command is complete and nothing more is wanted (commandOnly, endEarly); the answer is then
 * parsed from the text up to the command's closing quote.
 */
async function generateAnswer(
  backend: InferenceBackend,
  request: Omit<GenerateRequest, 'onToken' | 'onRestart'>,
  hooks: AnswerHooks,
): Promise<{ result: GenerateResult; answer: { command: string; explanation: string } }> {
  const stop = new AbortController();
  const callerAborted = () => stop.abort();
  request.signal?.addEventListener('abort', callerAborted, { once: true });
  let commandEnd: number | undefined;
  let explanationSoFar = '';
  let endWanted = Boolean(hooks.commandOnly);
  const following = (): JsonAnswerStream =>
    new JsonAnswerStream({
      onText: (field, text) => {
        if (field === 'command') hooks.onCommandText?.(text);
        if (field === 'explanation') {
          explanationSoFar += text;
          hooks.onExplanationText?.(text);
        }
      },
      onClose: (field, value, end) => {
        if (field !== 'command') return;
        commandEnd = end;
        hooks.onCommand?.(value);
        if (endWanted) stop.abort();
      },
    });
  let stream = following();
  const onEndWanted = () => {
    endWanted = true;
    if (commandEnd !== undefined) stop.abort();
  };
  if (hooks.endEarly?.aborted) onEndWanted();
  else hooks.endEarly?.addEventListener('abort', onEndWanted, { once: true });

  let started = false;
  try {
    const result = await backend.generate({
      ...request,
      signal: stop.signal,
      onToken: (piece) => {
        if (!started) {
          started = true;
          hooks.onAnswerStart?.();
        }
        stream.push(piece);
      },
      onRestart: () => {
        stream = following();
        commandEnd = undefined;
        explanationSoFar = '';
        hooks.onRestart?.();
      },
    });
    if (request.signal?.aborted) throw new CmdaiError('ABORTED', 'The request was aborted.');
    const cut = result.stopReason === 'abort' && commandEnd !== undefined;
    if (!cut) return { result, answer: parseCommandAnswer(result.text, result.stopReason) };
    const { command } = parseCommandAnswer(result.text.slice(0, commandEnd) + '}');
    return { result, answer: { command, explanation: explanationSoFar.trim() } };
  } finally {
    request.signal?.removeEventListener('abort', callerAborted);
    hooks.endEarly?.removeEventListener('abort', onEndWanted);
  }
}

function commandTimings(result: GenerateResult, totalMs: number): CommandTimings {
  const t = result.timings;
  return {
    load: round(t.loadMs),
    prompt: round(t.promptMs ?? 0),
    timeToFirstToken: round(t.timeToFirstTokenMs),
    generation: round(t.generationMs),
    total: round(totalMs),
    promptTokens: t.promptTokens,
    cachedPromptTokens: t.cachedTokens,
    generatedTokens: t.generatedTokens,
    resident: result.resident === true,
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
