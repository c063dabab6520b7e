// Public types of `cmdai/engine`: the in-process engines (llama.cpp and MLX) behind one Model.

export interface LoadModelOptions {
  /** Context size in tokens (default: 4096, capped at the model's training context). */
  contextSize?: number;
  /** Logical batch size for prompt processing (default: 512). */
  batchSize?: number;
  /** CPU threads for generation (default: physical cores). */
  threads?: number;
  /**
   * Map the file instead of reading it (default true): pages come from the page cache, shared
   * with other processes and the next run, and cost no anonymous memory.
   */
  useMmap?: boolean;
  /**
   * Let llama.cpp repack the weights into its CPU-specific interleaved layouts (default true, as
   * llama.cpp does). Repacked weights make prompt processing faster but are copied into anonymous
   * memory at every load, which costs load time; without repacking a mapped model loads almost at
   * once. A long-lived process wants it; a short one may not (see specs/resident.md).
   */
  repackWeights?: boolean;
  /** Called with a fraction 0..1 while the weights load. */
  onProgress?: (fraction: number) => void;
  /** Aborts loading; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** Load only the vocabulary (tokenize/detokenize/applyChatTemplate work; complete() does not). */
  vocabOnly?: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteOptions {
  /** Maximum tokens to generate; must be >= 1. */
  maxTokens?: number;
  /** 0 means greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  repeatPenalty?: number;
  /** A GBNF grammar constraining the output. */
  grammar?: string;
  /** A JSON Schema constraining the output (converted to a grammar). */
  jsonSchema?: object;
  /** Generation stops before any of these strings; they are not part of `text`. */
  stop?: string[];
  signal?: AbortSignal;
  /** Called with each piece of text as soon as it is decoded. */
  onToken?: (piece: string) => void;
  /**
   * Reuse the KV state of a prompt prefix: when `prefix` is a leading part of the prompt,
   * its state is restored from memory or from `prefixCacheFile` instead of being recomputed,
   * and saved there after computing it.
   */
  promptPrefix?: string;
  prefixCacheFile?: string;
  /**
   * Text the answer is known to start with (llama.cpp only), e.g. the opening `{"command":"` that
   * a JSON-schema grammar forces anyway. It is evaluated with the prompt in one batch instead of
   * one decode step per token, the grammar is advanced over it, and it begins `text` (and is the
   * first `onToken` piece). The grammar must allow it.
   */
  answerPrefix?: string;
}

export type StopReason = 'eos' | 'stop' | 'length' | 'abort';

export interface Timings {
  loadMs: number;
  promptTokens: number;
  /** Prompt tokens restored from a cached prefix instead of being computed. */
  cachedTokens: number;
  promptMs: number;
  timeToFirstTokenMs: number;
  generatedTokens: number;
  generationMs: number;
}

export interface Completion {
  text: string;
  tokens: number[];
  stopReason: StopReason;
  timings: Timings;
  /**
   * Where the `promptPrefix` state came from: the KV cache or a snapshot in memory, the
   * `prefixCacheFile`, or computed now (and saved). 'none' without a `promptPrefix`.
   */
  prefixSource?: 'none' | 'memory' | 'file' | 'computed';
  /** Why an existing prefixCacheFile was discarded and rebuilt (e.g. its KV payload failed its checksum). */
  prefixFileProblem?: string;
  /**
   * Why prefixCacheFile could not be written (a full disk, a read-only or missing folder): the
   * completion went on without it, and the next one computes the prefix again.
   */
  prefixSaveProblem?: string;
}

export interface ModelInfo {
  path: string;
  architecture: string;
  name: string;
  parameters: number;
  sizeBytes: number;
  trainContextSize: number;
  contextSize: number;
  vocabSize: number;
  chatTemplate: string | null;
}

export interface Model {
  readonly info: ModelInfo;
  tokenize(text: string, opts?: { addSpecial?: boolean; parseSpecial?: boolean }): number[];
  detokenize(tokens: number[]): string;
  applyChatTemplate(messages: ChatMessage[], opts?: { addAssistant?: boolean }): string;
  complete(prompt: string, opts?: CompleteOptions): Promise<Completion>;
  dispose(): Promise<void>;
}

/** The in-process engines: llama.cpp (GGUF files) and MLX (MLX model folders). */
export const ENGINE_NAMES = ['llama.cpp', 'mlx'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** `engine` in the configuration: one of the engines, or 'auto' to choose by platform and model. */
export type EnginePreference = EngineName | 'auto';
