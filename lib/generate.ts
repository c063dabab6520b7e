// The pipeline: environment -> prompt -> backend (schema-constrained) -> JSON.parse -> safety.
import type { ChatMessage } from './engine/types';
import type { GenerateResult, InferenceBackend } from './backends/types';
import { CmdaiConfig, loadConfig, SafetyPolicy, ShellName } from './config';
import { CmdaiError } from './errors';
import {
  assistantTurn,
  buildExplainSystemPrompt,
  buildExplainUserMessage,
  buildRevisionMessage,
  buildSystemPrompt,
  buildUserMessage,
  commandAnswerSchema,
  detectEnvironment,
  Environment,
  explanationSchema,
  JsonFieldStream,
  limitsForTokenBudget,
  MAX_REQUEST_CHARS,
  parseCommandAnswer,
  parseExplanation,
} from './prompt';
import { assessCommand, type Assessment } from './safety';
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
  const backend = createBackend(config, { yes: options.yes });
  try {
    return await use(backend, config);
  } finally {
    await backend.dispose();
  }
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

  const display = options.onCommandText ? new JsonFieldStream('command', options.onCommandText) : undefined;
  const main = await backend.generate({
    messages,
    jsonSchema,
    maxTokens,
    temperature: options.temperature ?? 0,
    seed: options.seed,
    signal: options.signal,
    onToken: display ? (piece) => display.push(piece) : undefined,
  });
  const parsed = parseCommandAnswer(main.text, main.stopReason);

  const alternatives: CommandAlternative[] = [];
  const wanted = Math.max(0, Math.floor(options.alternatives ?? 0));
  const seen = new Set([parsed.command]);
  // Sampling (not greedy) so each attempt can differ; a few extra tries make up for duplicates.
  for (let attempt = 0; alternatives.length < wanted && attempt < wanted * 2 + 1; attempt++) {
    options.onAlternative?.(alternatives.length, wanted);
    const extra = await backend.generate({
      messages,
      jsonSchema,
      maxTokens,
      temperature: 0.8,
      seed: (options.seed ?? 1) + attempt + 1,
      signal: options.signal,
    });
    let candidate;
    try {
      candidate = parseCommandAnswer(extra.text, extra.stopReason);
    } catch {
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
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
