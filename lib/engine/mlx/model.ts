// The MLX engine adapter: MLX model folders through hand-written C++ over mlx::core
// (native/mlx). Tokenizer and chat template run here in TypeScript; the transformer, its KV
// cache and sampling run natively on the model's own thread. Everything engine-independent
// (checks, queue, abort, dispose) is in ../model-core.ts.
import * as fs from 'node:fs';
import { CmdaiError } from '../../errors';
import { abortedError, checkLoadOptions, ENGINE_DEFAULTS, ModelCore, type CompletionRun } from '../model-core';
import type { ChatMessage, CompleteOptions, Completion, LoadModelOptions, Model, ModelInfo, StopReason } from '../types';
import { loadMlxAddon, type MlxModelHandle, type NativeSampling } from './binding';
import { ChatTemplate } from './chat-template';
import { JsonSchemaConstraint } from './json-schema-mask';
import { endTokenIds, readModelFolder, type ModelFolder } from './model-folder';
import { eosTokenText, MlxTokenizer } from './tokenizer';

const MLX_FEATURES = { grammar: false, repeatPenalty: false, promptPrefix: false, answerPrefix: false };

/**
 * Cuts the text at the first stop string and holds back a tail that could still become one, so
 * streamed pieces never contain any part of a stop string.
 */
class StopStringFilter {
  private pending = '';
  text = '';
  stopped = false;

  constructor(private readonly stops: string[]) {}

  /** Returns the text that is now safe to emit. */
  push(piece: string): string {
    if (this.stopped) return '';
    this.pending += piece;
    let cut = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      return this.emit(this.pending.slice(0, cut));
    }
    let hold = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.pending.length); n > hold; n--) {
        if (this.pending.endsWith(s.slice(0, n))) { hold = n; break; }
      }
    }
    return this.emit(this.pending.slice(0, this.pending.length - hold), hold);
  }

  /** At the end, a held-back tail that never became a stop string is text after all. */
  flush(): string {
    return this.stopped ? '' : this.emit(this.pending);
  }

  private emit(out: string, keep = 0): string {
    this.pending = keep > 0 ? this.pending.slice(this.pending.length - keep) : '';
    this.text += out;
    return out;
  }
}

let nextJobId = 1;

// process.exit() skips the environment teardown that would stop the models' native threads,
// and a thread still inside MLX when exit() destroys MLX's globals crashes the process. So
// every live model is stopped, synchronously, on 'exit'.
const liveHandles = new Set<WeakRef<MlxModelHandle>>();
let exitHookInstalled = false;

function trackLive(handle: MlxModelHandle): WeakRef<MlxModelHandle> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const ref of liveHandles) ref.deref()?.stopNow();
      liveHandles.clear();
    });
  }
  const ref = new WeakRef(handle);
  liveHandles.add(ref);
  return ref;
}

class MlxModel extends ModelCore {
  private readonly constraints = new Map<string, JsonSchemaConstraint>();

  constructor(
    info: ModelInfo,
    private readonly handle: MlxModelHandle,
    private readonly tokenizer: MlxTokenizer,
    private readonly template: ChatTemplate | null,
    private readonly endTokens: number[],
    private readonly loadMs: number,
    private readonly liveRef: WeakRef<MlxModelHandle>,
  ) {
    super(info, MLX_FEATURES);
  }

  protected tokenizeText(text: string, addSpecial: boolean, parseSpecial: boolean): number[] {
    return this.tokenizer.tokenize(text, { addSpecial, parseSpecial });
  }

  protected detokenizeTokens(tokens: number[]): string {
    return this.tokenizer.detokenize(tokens);
  }

  protected renderChat(messages: ChatMessage[], addAssistant: boolean): string {
    if (!this.template) {
      throw new CmdaiError('MODEL_INVALID', `${this.info.path} has no chat template (chat_template in tokenizer_config.json).`, {
        hint: 'Use a chat (instruct) model folder.',
      });
    }
    return this.template.render(messages, addAssistant);
  }

  protected toCmdaiError(err: unknown): Error {
    if (err instanceof CmdaiError) return err;
    return new CmdaiError('GENERATION', `The MLX engine failed: ${(err as Error).message}`, { cause: err });
  }

  private constraintFor(schema: object): JsonSchemaConstraint {
    const key = JSON.stringify(schema);
    let c = this.constraints.get(key);
    if (!c) {
      c = new JsonSchemaConstraint(schema, { tokenBytes: this.tokenizer.tokenBytes, excludedIds: this.tokenizer.addedTokenIds }, this.endTokens);
      this.constraints.set(key, c);
    }
    return c;
  }

  protected async run(prompt: string, opts: CompleteOptions, run: CompletionRun): Promise<Completion> {
    const promptTokens = this.tokenizer.tokenize(prompt, { addSpecial: true, parseSpecial: true });
    this.checkPromptFits(promptTokens.length);
    const constraint = opts.jsonSchema ? this.constraintFor(opts.jsonSchema) : undefined;
    const maxTokens = Math.min(opts.maxTokens ?? ENGINE_DEFAULTS.maxTokens, this.info.contextSize - promptTokens.length);
    const sampling: NativeSampling = {
      temperature: opts.temperature ?? ENGINE_DEFAULTS.temperature,
      topK: opts.topK ?? ENGINE_DEFAULTS.topK,
      topP: opts.topP ?? ENGINE_DEFAULTS.topP,
      minP: opts.minP ?? ENGINE_DEFAULTS.minP,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    };

    // Token ids -> text pieces -> stop strings -> the caller's onToken. The native loop streams
    // token ids, not text (the tokenizer lives here), so stop strings are cut here too.
    const decoder = this.tokenizer.streamDecoder();
    const filter = new StopStringFilter(opts.stop ?? []);
    const tokens: number[] = [];
    const jobId = nextJobId++;
    let aborted = false;
    run.onAbort = () => {
      aborted = true;
      this.handle.abort(jobId);
    };
    const onTokenId = (token: number) => {
      if (filter.stopped) return;
      tokens.push(token);
      run.emit(filter.push(decoder.push(token)));
      if (filter.stopped) run.onAbort();
    };

    let stopReason: StopReason;
    let promptMs: number;
    let cachedTokens: number;
    let timeToFirstTokenMs = 0;
    let generationMs: number;
    if (constraint) {
      ({ stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs } = await this.constrainedLoop(
        constraint, promptTokens, sampling, maxTokens, () => aborted || filter.stopped, onTokenId,
      ));
    } else {
      const result = await this.handle.generate(
        jobId,
        Int32Array.from(promptTokens),
        { ...sampling, maxTokens, endTokens: Int32Array.from(this.endTokens) },
        onTokenId,
      );
      ({ stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs } = result);
    }
    if (filter.stopped) stopReason = 'stop';
    else run.emit(filter.push(decoder.flush()) + filter.flush());
    return {
      text: filter.text,
      tokens,
      stopReason,
      timings: {
        loadMs: this.loadMs,
        promptTokens: promptTokens.length,
        cachedTokens,
        promptMs,
        timeToFirstTokenMs,
        generatedTokens: tokens.length,
        generationMs,
      },
    };
  }

  /** Token by token from JS: each step samples only among the tokens the schema allows. */
  private async constrainedLoop(
    constraint: JsonSchemaConstraint,
    promptTokens: number[],
    sampling: NativeSampling,
    maxTokens: number,
    shouldStop: () => boolean,
    onTokenId: (token: number) => void,
  ): Promise<{ stopReason: StopReason; promptMs: number; cachedTokens: number; timeToFirstTokenMs: number; generationMs: number }> {
    const { promptMs, cachedTokens } = await this.handle.prefill(Int32Array.from(promptTokens), sampling);
    const started = performance.now();
    let timeToFirstTokenMs = 0;
    let state = constraint.start();
    let feed = -1;
    let stopReason: StopReason = 'length';
    for (let i = 0; i < maxTokens; i++) {
      if (shouldStop()) { stopReason = 'abort'; break; }
      if (constraint.isFinished(state)) { stopReason = 'eos'; break; }
      const token = await this.handle.step(feed, constraint.allowedTokens(state));
      if (i === 0) timeToFirstTokenMs = promptMs + (performance.now() - started);
      if (token < 0) throw new CmdaiError('GENERATION', 'No token of the vocabulary can continue the JSON output.');
      if (this.endTokens.includes(token)) { stopReason = 'eos'; break; }
      state = constraint.accept(state, this.tokenizer.tokenBytes[token]);
      onTokenId(token);
      feed = token;
    }
    if (stopReason === 'length' && constraint.isFinished(state)) stopReason = 'eos';
    return { stopReason, promptMs, cachedTokens, timeToFirstTokenMs, generationMs: performance.now() - started };
  }

  protected async release(): Promise<void> {
    try {
      await this.handle.dispose();
    } finally {
      liveHandles.delete(this.liveRef);
    }
  }
}

/**
 * Loads an MLX model folder (mlx-community layout, float or affine-quantized Qwen2). Rejects
 * with CmdaiError MODEL_MISSING / MODEL_INVALID / USAGE / BACKEND_UNAVAILABLE, or an AbortError.
 */
export async function loadMlxModel(modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  checkLoadOptions('loadMlxModel', modelPath, opts, 'an MLX model folder');

  const folder: ModelFolder = readModelFolder(modelPath);
  const tokenizer = MlxTokenizer.fromFolder(folder.dir);
  const template = ChatTemplate.fromConfig(tokenizer.config, `${folder.dir}/tokenizer_config.json`);
  const eosText = eosTokenText(tokenizer.config);
  const endTokens = endTokenIds(folder, eosText === null ? undefined : tokenizer.idOf(eosText));
  if (endTokens.length === 0) {
    throw new CmdaiError('MODEL_INVALID', `${folder.dir} names no end-of-text token (eos_token_id in config.json).`, {
      hint: 'Download the model folder again.',
    });
  }

  const lookup = loadMlxAddon();
  if (!lookup.addon) throw new CmdaiError('BACKEND_UNAVAILABLE', `The MLX engine is unavailable: ${lookup.reason}`);
  const handle = new lookup.addon.MlxModel();
  const liveRef = trackLive(handle);
  const contextSize = Math.min(opts.contextSize ?? ENGINE_DEFAULTS.contextSize, folder.trainContextSize);
  opts.onProgress?.(0);
  let loaded;
  try {
    loaded = await handle.load({
      weightFiles: folder.weightFiles,
      config: folder.config,
      contextSize,
      batchSize: opts.batchSize ?? ENGINE_DEFAULTS.batchSize,
    });
  } catch (err) {
    await handle.dispose().catch(() => undefined);
    liveHandles.delete(liveRef);
    throw new CmdaiError('MODEL_INVALID', `${folder.dir} could not be loaded: ${(err as Error).message}`, {
      hint: 'Download the model folder again; if it persists, the folder is not a Qwen2 MLX model.',
      cause: err,
    });
  }
  // The native load cannot be interrupted; an abort during it discards the result.
  if (opts.signal?.aborted) {
    await handle.dispose();
    liveHandles.delete(liveRef);
    throw abortedError('Loading the model');
  }
  opts.onProgress?.(1);
  const info: ModelInfo = {
    path: folder.dir,
    architecture: String(folder.raw.model_type),
    name: folder.name,
    parameters: loaded.parameters,
    sizeBytes: folder.weightFiles.reduce((n, f) => n + fs.statSync(f).size, 0),
    trainContextSize: folder.trainContextSize,
    contextSize,
    vocabSize: folder.config.vocab_size,
    chatTemplate: template?.source ?? null,
  };
  return new MlxModel(info, handle, tokenizer, template, endTokens, loaded.loadMs, liveRef);
}
