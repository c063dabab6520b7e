// Public types of `cmdai/engine`: the in-process engines (llama.cpp and MLX) behind one Model.

export interface LoadModelOptions {
  /** Context size in tokens (default: 4096, capped at the model's training context). */
  contextSize?: number;
  /** Logical batch size for prompt processing (default: 512). */
  batchSize?: number;
  /** CPU threads for generation (default: physical cores). */
  threads?: number;
  /**
   * Map the file instead of reading it. Default: only with a GPU backend (zero-copy there). On
   * CPU, llama.cpp repacks most weights into its own buffers, so a mapping would keep a second,
   * file-backed copy resident; reading the file is as fast and needs half the memory.
   */
  useMmap?: boolean;
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
