// From the config file's [ollama] / [openai] tables and the command-line flags to the options
// createOllamaBackend / createOpenAIBackend take. Flags beat the (already env-merged) table.
import { CmdaiError } from '../errors';
import type { OllamaBackendOptions } from './ollama';
import { resolveOpenAIApiKey, type OpenAIBackendOptions } from './openai';

/** A [ollama] or [openai] table as TOML spells it, after CMDAI_* environment variables were applied. */
export interface RemoteConfigSection {
  endpoint?: string;
  model?: string;
  api_key?: string;
  keep_alive?: string | number;
  timeout_ms?: number;
  connect_timeout_ms?: number;
  retries?: number;
  /** [openai] only: which structured-output dialect the server speaks. */
  server_kind?: 'auto' | 'vllm' | 'generic';
}

/** The flags that apply to the selected remote backend. */
export interface RemoteFlags {
  endpoint?: string;
  model?: string;
  apiKey?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  retries?: number;
}

export interface RemoteWiring {
  onWarning?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function ollamaOptionsFromConfig(section: RemoteConfigSection = {}, flags: RemoteFlags = {}, wiring: RemoteWiring = {}): OllamaBackendOptions {
  return {
    ...commonOptions('ollama', section, flags),
    apiKey: nonEmpty(flags.apiKey) ?? nonEmpty(section.api_key),
    keepAlive: section.keep_alive,
    onWarning: wiring.onWarning,
  };
}

export function openAIOptionsFromConfig(section: RemoteConfigSection = {}, flags: RemoteFlags = {}, wiring: RemoteWiring = {}): OpenAIBackendOptions {
  return {
    ...commonOptions('openai', section, flags),
    apiKey: resolveOpenAIApiKey({ flag: flags.apiKey, config: section.api_key, env: wiring.env ?? process.env }),
    serverKind: section.server_kind,
    onWarning: wiring.onWarning,
  };
}

function commonOptions(backend: 'ollama' | 'openai', section: RemoteConfigSection, flags: RemoteFlags) {
  return {
    endpoint: nonEmpty(flags.endpoint) ?? nonEmpty(section.endpoint),
    model: nonEmpty(flags.model) ?? nonEmpty(section.model),
    timeoutMs: positiveInt(flags.timeoutMs ?? section.timeout_ms, flags.timeoutMs !== undefined ? '--timeout' : `[${backend}] timeout_ms`, 1),
    connectTimeoutMs: positiveInt(
      flags.connectTimeoutMs ?? section.connect_timeout_ms,
      flags.connectTimeoutMs !== undefined ? '--connect-timeout' : `[${backend}] connect_timeout_ms`,
      1,
    ),
    retries: positiveInt(flags.retries ?? section.retries, flags.retries !== undefined ? '--retries' : `[${backend}] retries`, 0),
  };
}

function positiveInt(value: number | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw new CmdaiError('CONFIG', `${name} must be a whole number (${min} or more), not ${JSON.stringify(value)}.`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
