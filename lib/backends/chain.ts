// The fallback chain: backends in order; when one cannot be reached, the next answers.
//
// Only BackendUnavailableError moves on (refused, reset, timed out, server gone mid-answer,
// 5xx or 429 after retries). Authentication failures, a missing model, bad requests and
// malformed replies are the user's to fix, so they end the chain at once. Every fallback is
// announced through `onFallback` (stderr by default): never silent.
import { BackendUnavailableError, CmdaiError, isAbortError } from '../errors';
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from './types';

export interface FallbackEvent {
  /** The backend that could not answer. */
  from: string;
  /** The backend asked next. */
  to: string;
  /** Why, in words (the error's message). */
  reason: string;
  error: BackendUnavailableError;
  /**
   * True when `from` had already streamed part of an answer through `onToken` before it failed.
   * That text is discarded: the answer comes whole from `to`, so a display should clear it.
   */
  partialOutputDiscarded: boolean;
}

export interface FallbackChainOptions {
  /** Told about each fallback; by default a one-line note goes to stderr. */
  onFallback?: (event: FallbackEvent) => void;
}

export interface FallbackChain extends InferenceBackend {
  readonly backends: readonly InferenceBackend[];
  /** The status of every backend in order, for `cmdai doctor`. */
  statusAll(): Promise<BackendStatus[]>;
}

export function createFallbackChain(backends: InferenceBackend[], options: FallbackChainOptions = {}): FallbackChain {
  if (backends.length === 0) {
    throw new CmdaiError('CONFIG', 'No backend is configured.', { hint: 'Set `backend` (and optionally `fallback`) in the config, or pass --backend.' });
  }
  const onFallback = options.onFallback ?? writeFallbackNote;
  const list = [...backends];

  return {
    name: list.map((b) => b.name).join('>'),
    backends: list,

    async status(): Promise<BackendStatus> {
      const statuses = await this.statusAll();
      const first = statuses.find((s) => s.available) ?? statuses[0];
      return { ...first, detail: statuses.map((s) => `${s.backend}: ${s.detail}`).join(' | ') };
    },

    statusAll(): Promise<BackendStatus[]> {
      return Promise.all(
        list.map((backend) =>
          backend.status().catch(
            (error: unknown): BackendStatus => ({
              backend: backend.name,
              available: false,
              detail: error instanceof Error ? error.message : String(error),
            }),
          ),
        ),
      );
    },

    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const skipped: Array<{ backend: string; reason: string }> = [];
      for (let i = 0; i < list.length; i++) {
        const backend = list[i];
        let emitted = false;
        const onToken = request.onToken
          ? (piece: string): void => {
              emitted = true;
              request.onToken!(piece);
            }
          : undefined;
        try {
          const result = await backend.generate({ ...request, onToken });
          return skipped.length > 0 ? { ...result, fallbacks: skipped } : result;
        } catch (error) {
          const next = list[i + 1];
          if (!(error instanceof BackendUnavailableError) || isAbortError(error) || request.signal?.aborted) throw error;
          if (!next) {
            if (skipped.length === 0) throw error;
            const tried = [...skipped, { backend: backend.name, reason: error.message }];
            throw new BackendUnavailableError(
              `No backend could answer: ${tried.map((t) => `${t.backend} (${t.reason.replace(/\.$/, '')})`).join('; ')}.`,
              { hint: error.hint },
            );
          }
          skipped.push({ backend: backend.name, reason: error.message });
          onFallback({ from: backend.name, to: next.name, reason: error.message, error, partialOutputDiscarded: emitted });
        }
      }
      // Unreachable: the loop returns or throws on its last backend.
      throw new BackendUnavailableError('No backend could answer.');
    },

    async dispose(): Promise<void> {
      await Promise.allSettled(list.map((b) => b.dispose()));
    },
  };
}

/** The default notice: one line on stderr naming both backends and the reason. */
export function writeFallbackNote(event: FallbackEvent): void {
  const discarded = event.partialOutputDiscarded ? ' (its partial answer is discarded)' : '';
  process.stderr.write(`cmdai: ${event.from} could not answer${discarded}: ${event.reason} Using ${event.to} instead.\n`);
}
