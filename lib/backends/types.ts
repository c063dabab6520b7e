// The one interface every inference engine implements: embedded llama.cpp, MLX, Ollama,
// OpenAI-compatible servers. The fallback chain is written against it too.
import type { ChatMessage, CompleteOptions } from '../engine/types';

export type { ChatMessage };

/** A chat to answer, with the engine's sampling options (jsonSchema constrains the output). */
export interface GenerateRequest
  extends Pick<CompleteOptions, 'jsonSchema' | 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'stop' | 'signal' | 'onToken'> {
  messages: ChatMessage[];
  /**
   * Text the (only) user turn starts with on every request, e.g. a fixed label before per-request
   * context. A backend that keeps the system prompt's state may keep this with it. A hint: backends
   * without such a cache ignore it.
   */
  stableUserStart?: string;
  /** The pieces streamed so far are void: the answer starts again from its first piece. */
  onRestart?: () => void;
}

export interface GenerateTimings {
  /** Time spent loading the model for this call (0 when already loaded). */
  loadMs: number;
  promptTokens?: number;
  cachedTokens?: number;
  promptMs?: number;
  timeToFirstTokenMs: number;
  generatedTokens?: number;
  generationMs: number;
  totalMs: number;
}

export interface GenerateResult {
  text: string;
  /** The backend that actually answered (after any fallback), e.g. "llama.cpp", "ollama". */
  backend: string;
  model: string;
  stopReason: 'eos' | 'stop' | 'length' | 'abort';
  timings: GenerateTimings;
  /** Remote backends: the server's address as safe to show (no credentials). */
  endpoint?: string;
  /** Remote backends: the server software when known, e.g. "llama.cpp", "vllm", "ollama". */
  server?: string;
  /** Backends the fallback chain tried first, and why each could not answer. */
  fallbacks?: Array<{ backend: string; reason: string }>;
  /** True when a resident model (a background cmdai server) answered. */
  resident?: boolean;
}

export interface BackendStatus {
  backend: string;
  available: boolean;
  /** One line a user can read: what is there, or what is missing and what to do. */
  detail: string;
  model?: string;
  endpoint?: string;
}

export interface InferenceBackend {
  readonly name: string;
  status(): Promise<BackendStatus>;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  dispose(): Promise<void>;
}
