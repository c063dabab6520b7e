// Every HTTP timeout, retry count and backoff cmdai uses, in one place. Plain numbers only, so
// the configuration can read them without loading an HTTP client.

/** Remote backends (Ollama, OpenAI-compatible): a CLI waiting on one answer. */
export const REMOTE_HTTP_DEFAULTS = {
  /** Longest silence accepted from the server: until the response starts, and between body bytes. */
  timeoutMs: 60_000,
  connectTimeoutMs: 5_000,
  /** Further attempts after a transient failure. */
  retries: 2,
  /** First backoff delay; doubles each attempt. */
  retryBaseDelayMs: 250,
  maxBackoffMs: 8_000,
  /** A Retry-After longer than this is not waited for: the backend counts as unavailable. */
  maxRetryAfterMs: 30_000,
} as const;

/** Model downloads: gigabytes from a hub or CDN, resumable, worth waiting for. */
export const DOWNLOAD_HTTP_DEFAULTS = {
  connectTimeoutMs: 15_000,
  /** Until the response headers arrive. */
  responseTimeoutMs: 30_000,
  /** A connection silent this long is a stall. */
  idleTimeoutMs: 60_000,
  /** Failures in a row (attempts that bring no new bytes) before giving up. */
  retries: 4,
  retryBaseDelayMs: 1_000,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
} as const;

/** How a caller waits between attempts. */
export interface RetryPolicy {
  /** First backoff delay; doubles each attempt, with jitter. */
  retryBaseDelayMs: number;
  /** The backoff never grows past this. */
  maxBackoffMs: number;
  /** A Retry-After longer than this is not waited for. */
  maxRetryAfterMs: number;
}
