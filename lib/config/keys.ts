// Every setting cmdai reads, how it is spelled in TOML, and what values it accepts.
// One table drives the file validator, the CMDAI_* environment variables, flags and `config set`.
import { ENGINE_NAMES, type EnginePreference } from '../engine/types';

export const BACKEND_NAMES = ['embedded', 'ollama', 'openai'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const SHELL_NAMES = ['bash', 'zsh', 'fish', 'sh', 'dash', 'ksh', 'powershell', 'pwsh', 'cmd'] as const;
export type ShellName = (typeof SHELL_NAMES)[number];

export const SAFETY_POLICIES = ['strict', 'moderate', 'permissive'] as const;
export type SafetyPolicy = (typeof SAFETY_POLICIES)[number];

export const ENGINE_PREFERENCES = ['auto', ...ENGINE_NAMES] as const;
export type { EnginePreference };

export const OPENAI_SERVER_KINDS = ['auto', 'vllm', 'generic'] as const;

export type ConfigValue = string | number | boolean | string[];

export type KeySpec =
  | { kind: 'enum'; values: readonly string[]; describe: string }
  | { kind: 'string'; describe: string }
  | { kind: 'url'; describe: string }
  | { kind: 'int'; min: number; describe: string }
  | { kind: 'duration'; describe: string }
  | { kind: 'bool'; describe: string }
  | { kind: 'list'; values?: readonly string[]; describe: string };

/** The HTTP settings every remote backend has under its own table (lib/http/defaults.ts has their defaults). */
function remoteHttpKeys<B extends string>(backend: B) {
  const int = <Min extends number>(min: Min, describe: string) => ({ kind: 'int', min, describe }) as const;
  return {
    [`${backend}.timeout_ms`]: int(1, 'response timeout in milliseconds'),
    [`${backend}.connect_timeout_ms`]: int(1, 'connect timeout in milliseconds'),
    [`${backend}.retries`]: int(0, 'retries on connection errors, 5xx and 429'),
  } as Record<`${B}.timeout_ms` | `${B}.connect_timeout_ms`, { kind: 'int'; min: 1; describe: string }> &
    Record<`${B}.retries`, { kind: 'int'; min: 0; describe: string }>;
}

export const CONFIG_KEYS = {
  backend: { kind: 'enum', values: BACKEND_NAMES, describe: 'which backend answers first' },
  fallback: { kind: 'list', values: BACKEND_NAMES, describe: 'backends tried in order when the first is unreachable' },
  model: { kind: 'string', describe: 'model for the embedded engine: a catalog name, a .gguf file or an MLX model folder' },
  engine: { kind: 'enum', values: ENGINE_PREFERENCES, describe: 'in-process engine: auto (MLX on Apple Silicon, llama.cpp elsewhere), llama.cpp or mlx' },
  shell: { kind: 'enum', values: SHELL_NAMES, describe: 'target shell (detected from the environment when unset)' },
  keepAlive: { kind: 'duration', describe: 'how long the resident model stays loaded after the last request (e.g. "10m"; 0: never start one)' },
  resident: { kind: 'bool', describe: 'library calls (generateCommand) use the resident model too (the CLI does unless keepAlive is 0)' },
  'safety.policy': { kind: 'enum', values: SAFETY_POLICIES, describe: 'what the safety check blocks or confirms' },
  'safety.allow': { kind: 'list', describe: 'commands (patterns) you always allow' },
  'safety.deny': { kind: 'list', describe: 'commands (patterns) you always block' },
  'ollama.endpoint': { kind: 'url', describe: 'Ollama server URL' },
  'ollama.model': { kind: 'string', describe: 'model name on the Ollama server' },
  'ollama.keep_alive': { kind: 'string', describe: 'how long Ollama keeps the model loaded (e.g. "5m")' },
  ...remoteHttpKeys('ollama'),
  'openai.endpoint': { kind: 'url', describe: 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1' },
  'openai.model': { kind: 'string', describe: 'model name on the server' },
  'openai.api_key': { kind: 'string', describe: 'API key sent as a Bearer token' },
  ...remoteHttpKeys('openai'),
  'openai.server_kind': {
    kind: 'enum',
    values: OPENAI_SERVER_KINDS,
    describe: 'structured-output dialect: auto (ask the server), vllm (add vLLM\'s own parameter), generic (response_format only)',
  },
  'models.dir': { kind: 'string', describe: 'where downloaded models are kept' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_KEYS, key);
}

/** `safety` alone means the policy; it is also the natural thing to type in `config set safety strict`. */
export function canonicalKey(key: string): string {
  return key === 'safety' ? 'safety.policy' : key;
}

/** The environment variable for a key: ollama.timeout_ms -> CMDAI_OLLAMA_TIMEOUT_MS, keepAlive -> CMDAI_KEEP_ALIVE. */
export function envVarFor(key: ConfigKey): string {
  return 'CMDAI_' + key.replace(/\./g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "10m", "30s", "1h30m", "250ms", or a bare number of seconds, in milliseconds; undefined when unreadable. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text * 1000) : undefined;
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) return undefined;
  return Math.round(parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * DURATION_UNITS_MS[unit], 0));
}

/** What a key accepts, in words, for error messages. */
export function expectedValue(spec: KeySpec): string {
  switch (spec.kind) {
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'list':
      return spec.values ? `a list of ${spec.values.join(', ')}` : 'a list of strings';
    case 'int':
      return spec.min === 0 ? 'a whole number (0 or more)' : `a whole number (${spec.min} or more)`;
    case 'url':
      return 'an http:// or https:// URL';
    case 'string':
      return 'a non-empty string';
    case 'duration':
      return 'a duration such as 10m, 90s or 1h (0 turns it off)';
    case 'bool':
      return 'true or false';
  }
}

export type Checked = { ok: true; value: ConfigValue } | { ok: false; expected: string };

/** Checks a value already typed by TOML. */
export function checkTyped(spec: KeySpec, value: unknown): Checked {
  const fail: Checked = { ok: false, expected: expectedValue(spec) };
  switch (spec.kind) {
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? { ok: true, value } : fail;
    case 'string':
      return typeof value === 'string' && value.trim() !== '' ? { ok: true, value } : fail;
    case 'url':
      return typeof value === 'string' && isHttpUrl(value) ? { ok: true, value } : fail;
    case 'int': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) && n >= spec.min ? { ok: true, value: n } : fail;
    }
    case 'duration':
      return (typeof value === 'string' || typeof value === 'number') && parseDurationMs(value) !== undefined ? { ok: true, value: String(value).trim() } : fail;
    case 'bool':
      return typeof value === 'boolean' ? { ok: true, value } : fail;
    case 'list': {
      if (!Array.isArray(value)) return fail;
      const items = value as unknown[];
      const valid = items.every(
        (item) => typeof item === 'string' && item !== '' && (!spec.values || spec.values.includes(item)),
      );
      return valid ? { ok: true, value: items as string[] } : fail;
    }
  }
}

/** Parses a value given as text (environment variable, flag, `config set`). */
export function checkText(spec: KeySpec, text: string): Checked {
  switch (spec.kind) {
    case 'int':
      return /^\s*\d+\s*$/.test(text) ? checkTyped(spec, Number(text)) : { ok: false, expected: expectedValue(spec) };
    case 'bool': {
      const word = text.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(word)) return { ok: true, value: true };
      if (['false', 'no', 'off', '0'].includes(word)) return { ok: true, value: false };
      return { ok: false, expected: expectedValue(spec) };
    }
    case 'list': {
      const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
      return checkTyped(spec, items);
    }
    default:
      return checkTyped(spec, text.trim());
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
