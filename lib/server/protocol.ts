// What the resident server and its clients agree on besides the OpenAI-compatible chat API:
// the status document at GET /cmdai/status, and how a model file is identified.
import * as fs from 'node:fs';

/** Bumped when the status document or the server's behaviour changes incompatibly. */
export const PROTOCOL_VERSION = 1;

export const STATUS_PATH = '/cmdai/status';
export const STOP_PATH = '/cmdai/stop';

export interface ServerStatus {
  protocol: number;
  /** The cmdai version the server runs; a client of another version does not use it. */
  version: string;
  pid: number;
  state: 'loading' | 'ready' | 'failed' | 'stopping';
  /** Why loading failed (state "failed"). */
  error?: string;
  loadProgress: number;
  model: { path: string; identity: string; label: string };
  /** Engine options the model was loaded with; a request needing others is answered in-process. */
  engine: EngineOptions;
  /** Idle time before the server exits; 0: it never exits on its own. */
  keepAliveMs: number;
  startedAt: number;
  idleMs: number;
  /** Requests being answered, and waiting their turn. */
  active: number;
  queued: number;
  served: number;
  memory: { rssBytes: number; rssAnonBytes?: number };
  /**
   * The figures of the last generation, also when its client went away mid-answer (a `--print`
   * client closes the stream when the command is complete, before the usage chunk is sent).
   */
  lastRequest?: RequestFigures;
  /** Where it listens: the socket path, and a loopback address when started with --port. */
  listening: string[];
}

export interface RequestFigures {
  /** Prompt tokens, of which `cachedTokens` were already in the KV cache (not evaluated). */
  promptTokens?: number;
  cachedTokens?: number;
  promptMs?: number;
  generatedTokens?: number;
  generationMs?: number;
  stopReason: string;
}

export interface EngineOptions {
  contextSize?: number;
  threads?: number;
}

/** The file's identity: a replaced or rewritten model file is another model. */
export function modelIdentity(file: string): string {
  const real = fs.realpathSync(file);
  const stat = fs.statSync(real);
  return `${real}|${stat.size}|${Math.round(stat.mtimeMs)}`;
}

export function sameEngineOptions(a: EngineOptions, b: EngineOptions): boolean {
  return a.contextSize === b.contextSize && a.threads === b.threads;
}

/** Anonymous resident memory (Linux): what the process really holds, page cache not counted. */
export function memoryUsage(): { rssBytes: number; rssAnonBytes?: number } {
  const rssBytes = process.memoryUsage.rss();
  if (process.platform !== 'linux') return { rssBytes };
  try {
    const match = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return { rssBytes, rssAnonBytes: match ? Number(match[1]) * 1024 : undefined };
  } catch {
    return { rssBytes };
  }
}

/** "10m 5s", "3h", "45s" */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes}m ${seconds % 60}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
}
