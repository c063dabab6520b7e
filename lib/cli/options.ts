// Flags shared by the commands that talk to a model, and how they become configuration.
// Kept free of heavy imports: `cmdai --help` loads this file.
import type { Argv } from 'yargs';
import { BACKEND_NAMES, SAFETY_POLICIES, SHELL_NAMES } from '../config/keys';
import type { CmdaiConfig, FlagOverrides } from '../config';
import type { RemoteFlags } from '../backends/remote-config';
import { CmdaiError } from '../errors';

export interface GlobalArgs {
  config?: string;
  verbose?: boolean;
}

export interface ModelArgs extends GlobalArgs {
  model?: string;
  backend?: string;
  endpoint?: string;
  apiKey?: string;
  timeout?: number;
  retries?: number;
  shell?: string;
  safety?: string;
  yes?: boolean;
  maxTokens?: number;
}

export function withModelOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('model', { type: 'string', describe: 'model: a .gguf file path or a catalog name (see `cmdai model list`)', group: 'Model:' })
    .option('backend', { type: 'string', choices: BACKEND_NAMES as unknown as string[], describe: 'backend to ask first', group: 'Model:' })
    .option('endpoint', { type: 'string', describe: 'server URL for the ollama/openai backend', group: 'Model:' })
    .option('api-key', { type: 'string', describe: 'API key for the openai backend (prefer CMDAI_OPENAI_API_KEY)', group: 'Model:' })
    .option('timeout', { type: 'number', describe: 'response timeout for remote backends, in milliseconds', group: 'Model:' })
    .option('retries', { type: 'number', describe: 'retries for remote backends', group: 'Model:' })
    .option('max-tokens', { type: 'number', describe: `token budget for one answer, ${RANGES.maxTokens.min} to ${RANGES.maxTokens.max} (default 768)`, group: 'Model:' })
    .option('shell', { type: 'string', choices: SHELL_NAMES as unknown as string[], describe: 'target shell (default: detected)' })
    .option('safety', { type: 'string', choices: SAFETY_POLICIES as unknown as string[], describe: 'safety policy (default: moderate)' })
    .option('yes', { alias: 'y', type: 'boolean', describe: 'not on a terminal: run the command without asking (high risk included; never a critical command, under any --safety policy; blocked commands never run); allow a model download' });
}

/** Accepted ranges of the numeric flags, checked before anything is loaded. */
export const RANGES = {
  /** Below 48 no command and explanation fit; above 2048 the answer would crowd the prompt out of the 4096-token context. */
  maxTokens: { flag: '--max-tokens', min: 48, max: 2048 },
  timeout: { flag: '--timeout', min: 1, max: 3_600_000 },
  retries: { flag: '--retries', min: 0, max: 10 },
  /** One key each in the menu: 1 to 9. */
  alternatives: { flag: '-n/--alternatives', min: 0, max: 9 },
  runs: { flag: '--runs', min: 1, max: 100 },
} as const;

/** A numeric flag outside its range is a usage error that names the flag as typed and the range. */
export function checkRange(name: keyof typeof RANGES, value: number | undefined): void {
  if (value === undefined) return;
  const { flag, min, max } = RANGES[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CmdaiError('USAGE', `${flag} must be a whole number from ${min} to ${max}${Number.isNaN(value) ? '' : `, not ${value}`}.`);
  }
}

/** Checks the numeric flags every model command shares. */
export function checkModelArgs(argv: ModelArgs): void {
  checkRange('maxTokens', argv.maxTokens);
  checkRange('timeout', argv.timeout);
  checkRange('retries', argv.retries);
}

/** Loads the configuration with this invocation's flags on top. */
export function configFromArgs(argv: ModelArgs, options: { skipFile?: boolean } = {}): CmdaiConfig {
  const flags: FlagOverrides = {
    backend: argv.backend,
    shell: argv.shell,
    'safety.policy': argv.safety,
  };
  return loadCliConfig({ file: argv.config, flags, flagNames: { backend: '--backend', shell: '--shell', 'safety.policy': '--safety' }, ...options });
}

/** Every CLI command reads the config through here, so its warnings (unknown keys) are shown once, on stderr. */
export function loadCliConfig(options: import('../config').LoadConfigOptions): CmdaiConfig {
  // The config reader (and its TOML parser) only when a command needs it: `--help` does not.
  const { loadConfig } = require('../config') as typeof import('../config');
  const config = loadConfig(options);
  for (const warning of config.warnings) process.stderr.write(`cmdai: warning: ${warning}\n`);
  for (const note of config.repoPolicy?.notes ?? []) process.stderr.write(`cmdai: note: ${note}\n`);
  return config;
}

/** Flags that apply to the first backend in the chain. */
export function remoteFlagsFromArgs(argv: ModelArgs): RemoteFlags {
  return {
    model: argv.model,
    endpoint: argv.endpoint,
    apiKey: argv.apiKey,
    timeoutMs: argv.timeout,
    retries: argv.retries,
  };
}
