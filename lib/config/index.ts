// Loads the effective configuration: defaults < config file < CMDAI_* environment < flags.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError } from '../errors';
import { REMOTE_HTTP_DEFAULTS } from '../http/defaults';
import {
  BackendName,
  CONFIG_KEYS,
  EnginePreference,
  ConfigKey,
  ConfigValue,
  KeySpec,
  SafetyPolicy,
  ShellName,
  canonicalKey,
  checkText,
  checkTyped,
  envVarFor,
  expectedValue,
  isConfigKey,
  OPENAI_SERVER_KINDS,
} from './keys';
import { configFilePath } from './paths';
import { parseTomlTable } from './toml';
import type { RepoPolicy } from './repo-policy';

export * from './keys';
export { configDir, configFilePath, cacheDir, promptCacheDir } from './paths';

export interface RemoteBackendSettings {
  endpoint?: string;
  model?: string;
  timeout_ms: number;
  connect_timeout_ms: number;
  retries: number;
}

/** One `[[models.custom]]` table of the config file, as written by the user (lib/models/catalog.ts turns it into a catalog entry). */
export interface CustomModelEntry {
  name: string;
  url?: string;
  repo?: string;
  file?: string;
  revision?: string;
  sha256?: string;
  description?: string;
  context_length?: number;
}

export interface CmdaiConfig {
  backend: BackendName;
  fallback: BackendName[];
  /** Embedded-engine model: catalog name or .gguf path. Unset means the catalog default. */
  model?: string;
  /** Which in-process engine runs the embedded backend's model. */
  engine: EnginePreference;
  /** How long the resident model stays loaded when idle ("10m"); "0": no resident model. */
  keepAlive: string;
  /** Whether library calls use the resident model (the CLI does whenever keepAlive is not 0). */
  resident?: boolean;
  /** Unset means detect from the environment. */
  shell?: ShellName;
  safety: { policy: SafetyPolicy; allow: string[]; deny: string[] };
  ollama: RemoteBackendSettings & { keep_alive?: string };
  openai: RemoteBackendSettings & { api_key?: string; server_kind?: (typeof OPENAI_SERVER_KINDS)[number] };
  models: { dir?: string; custom: CustomModelEntry[] };
  /** The config file that was read (it may not exist). */
  file: string;
  /** Where each explicitly set key came from. */
  sources: Partial<Record<ConfigKey, ConfigSource>>;
  /** The repository's `.cmdai.toml` that tightened the safety settings, when one applies. */
  repoPolicy?: RepoPolicy;
  /** Problems that do not stop cmdai (unknown keys), each naming the file and line. */
  warnings: string[];
}

export type ConfigSource = 'file' | 'env' | 'flag';

/** Settings given on the command line, keyed by config key, as text. */
export type FlagOverrides = Partial<Record<ConfigKey, string | number>>;

export interface LoadConfigOptions {
  /** Explicit config file (from --config); it must exist. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: FlagOverrides;
  /** Flag spelling for each key, so errors name what the user typed. */
  flagNames?: Partial<Record<ConfigKey, string>>;
  /** Where to look for a repository's `.cmdai.toml` (default: the current directory); false: do not look. */
  repoPolicyFrom?: string | false;
  /** Leave the file out (environment and flags still apply): `doctor` carries on past a broken file. */
  skipFile?: boolean;
}

export const DEFAULT_TIMEOUT_MS = REMOTE_HTTP_DEFAULTS.timeoutMs;
export const DEFAULT_CONNECT_TIMEOUT_MS = REMOTE_HTTP_DEFAULTS.connectTimeoutMs;
export const DEFAULT_RETRIES = REMOTE_HTTP_DEFAULTS.retries;

export function defaultConfig(file: string): CmdaiConfig {
  const remote = (): RemoteBackendSettings => ({
    timeout_ms: DEFAULT_TIMEOUT_MS,
    connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
    retries: DEFAULT_RETRIES,
  });
  return {
    backend: 'embedded',
    fallback: [],
    engine: 'auto',
    keepAlive: '10m',
    safety: { policy: 'moderate', allow: [], deny: [] },
    ollama: { ...remote(), endpoint: 'http://127.0.0.1:11434' },
    openai: remote(),
    models: { custom: [] },
    file,
    sources: {},
    warnings: [],
  };
}

export function loadConfig(options: LoadConfigOptions = {}): CmdaiConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? configFilePath({ env });
  const config = defaultConfig(file);

  const text = options.skipFile ? undefined : readConfigText(file, options.file !== undefined || env.CMDAI_CONFIG !== undefined);
  if (text !== undefined) {
    const values = parseConfigText(text, file);
    for (const [key, value] of values.settings) assign(config, key, relativeToFile(key, value, file), 'file');
    config.models.custom = values.customModels;
    config.warnings.push(...values.warnings);
  }

  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const names = [envVarFor(key)];
    if (key === 'safety.policy') names.push('CMDAI_SAFETY');
    const name = names.find((candidate) => env[candidate] !== undefined && env[candidate] !== '');
    if (!name) continue;
    const checked = checkText(CONFIG_KEYS[key], env[name]!);
    if (!checked.ok) {
      throw new CmdaiError('CONFIG', `Environment variable ${name}=${JSON.stringify(env[name])} is not valid: ${key} must be ${checked.expected}.`, {
        hint: `Fix or unset ${name}.`,
      });
    }
    assign(config, key, checked.value, 'env');
  }

  for (const [key, raw] of Object.entries(options.flags ?? {}) as [ConfigKey, string | number | undefined][]) {
    if (raw === undefined) continue;
    const checked = checkText(CONFIG_KEYS[key], String(raw));
    if (!checked.ok) {
      const flag = options.flagNames?.[key] ?? `--${key}`;
      throw new CmdaiError('USAGE', `${flag} ${JSON.stringify(String(raw))} is not valid: it must be ${checked.expected}.`);
    }
    assign(config, key, checked.value, 'flag');
  }

  // Last, over flags too: a repository can only tighten, so it never overrides a user's stricter choice.
  if (options.repoPolicyFrom !== false) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: loaded only when a file needs it
    const { applyRepoPolicy, repoPolicyFor } = require('./repo-policy') as typeof import('./repo-policy');
    const repo = repoPolicyFor(options.repoPolicyFrom ?? process.cwd(), config.safety.policy, env.HOME ?? env.USERPROFILE);
    if (repo) return { ...applyRepoPolicy(config, repo), repoPolicy: repo };
  }
  return config;
}

function readConfigText(file: string, mustExist: boolean): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !mustExist) return undefined;
    if (code === 'ENOENT') {
      throw new CmdaiError('CONFIG', `Config file not found: ${file}`, {
        hint: 'Check the path given with --config or CMDAI_CONFIG, or create it with `cmdai config set <key> <value>`.',
      });
    }
    throw new CmdaiError('CONFIG', `Cannot read config file ${file}: ${(err as Error).message}`);
  }
}

interface ParsedConfigFile {
  settings: [ConfigKey, ConfigValue][];
  customModels: CustomModelEntry[];
  /** Unknown keys: named with their line, ignored. */
  warnings: string[];
}

/** Keys holding paths: a relative path in the file means relative to the file's folder, wherever cmdai runs. */
const PATH_KEYS: ReadonlySet<ConfigKey> = new Set(['models.dir', 'model']);

function relativeToFile(key: ConfigKey, value: ConfigValue, file: string): ConfigValue {
  if (!PATH_KEYS.has(key) || typeof value !== 'string') return value;
  // A bare model name is a catalog name, not a path; `~` is expanded where the path is used.
  if (key === 'model' && !/[\\/]/.test(value) && !value.startsWith('.')) return value;
  if (path.isAbsolute(value) || value.startsWith('~')) return value;
  return path.resolve(path.dirname(path.resolve(file)), value);
}

const TABLES = new Set(['safety', 'ollama', 'openai', 'models']);

/** Parses and validates the file's text; errors name the file, the line and the key. */
export function parseConfigText(text: string, file: string): ParsedConfigFile {
  const doc = parseTomlTable(text, file, 'Fix that line, or move the file away to start from defaults.');

  const settings: [ConfigKey, ConfigValue][] = [];
  const warnings: string[] = [];
  let customModels: CustomModelEntry[] = [];
  const fail = (key: string, message: string): never => {
    const line = findKeyLine(text, key);
    throw new CmdaiError('CONFIG', `${file}${line ? `:${line}` : ''}: ${message}`, {
      hint: `Fix or remove "${key}"; \`cmdai config set ${key} <value>\` checks a value before writing it.`,
    });
  };
  const take = (key: string, value: unknown) => {
    const canonical = canonicalKey(key);
    if (!isConfigKey(canonical)) {
      const line = findKeyLine(text, key);
      const near = closestKey(key);
      warnings.push(
        `${file}${line ? `:${line}` : ''}: unknown key "${key}" ignored${near ? ` (did you mean "${near}"?)` : ''}; remove it or fix its name. Known keys: ${knownKeysText()}.`,
      );
      return;
    }
    const checked = checkTyped(CONFIG_KEYS[canonical], value);
    if (!checked.ok) return fail(key, `"${key}" must be ${checked.expected} (found ${describeFound(value)}).`);
    settings.push([canonical, checked.value]);
  };

  for (const [top, value] of Object.entries(doc)) {
    const isTable = typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
    if (TABLES.has(top) && isTable) {
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        if (top === 'models' && sub === 'custom') customModels = checkCustomModels(subValue, text, file);
        else take(`${top}.${sub}`, subValue);
      }
    } else if (top === 'safety' || !TABLES.has(top)) {
      take(top, value);
    } else {
      fail(top, `"${top}" must be a table ([${top}]).`);
    }
  }
  return { settings, customModels, warnings };
}

function checkCustomModels(value: unknown, text: string, file: string): CustomModelEntry[] {
  const fail = (message: string): never => {
    const line = findKeyLine(text, 'models.custom');
    throw new CmdaiError('CONFIG', `${file}${line ? `:${line}` : ''}: ${message}`, {
      hint: 'Each [[models.custom]] needs name, and url or repo + file; sha256 is 64 hex digits.',
    });
  };
  if (!Array.isArray(value)) return fail('"models.custom" must be written as [[models.custom]] tables.');
  return value.map((entry: unknown, index: number) => {
    const where = `[[models.custom]] entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null) return fail(`${where} must be a table.`);
    const known = new Set(['name', 'url', 'repo', 'file', 'revision', 'sha256', 'description', 'context_length']);
    const record = entry as Record<string, unknown>;
    for (const [key, field] of Object.entries(record)) {
      if (!known.has(key)) fail(`${where}: unknown key "${key}" (known: ${[...known].join(', ')}).`);
      if (key === 'context_length') {
        if (!Number.isInteger(typeof field === 'bigint' ? Number(field) : field) || Number(field) < 1) fail(`${where}: "context_length" must be a whole number of tokens.`);
      } else if (typeof field !== 'string' || field === '') fail(`${where}: "${key}" must be a non-empty string.`);
    }
    const model = record as unknown as CustomModelEntry;
    if (!model.name) fail(`${where}: "name" is required.`);
    if (!model.url && !(model.repo && model.file)) fail(`${where} ("${model.name}"): give either url, or repo and file.`);
    if (model.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(model.sha256)) {
      fail(`${where} ("${model.name}"): sha256 must be 64 hex digits.`);
    }
    return model;
  });
}

function describeFound(value: unknown): string {
  if (Array.isArray(value)) return `a list ${JSON.stringify(value)}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}

/** The known key closest in spelling to a mistyped one, if any is close. */
function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of Object.keys(CONFIG_KEYS)) {
    for (const candidate of [known, known.split('.').pop()!]) {
      const distance = editDistance(key, candidate);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = known;
      }
    }
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

function knownKeysText(): string {
  return Object.keys(CONFIG_KEYS).join(', ');
}

/** The 1-based line where a dotted key is set, following [table] headers; undefined if not found. */
export function findKeyLine(text: string, dottedKey: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    if (header) {
      table = unquoteKey(header[1]);
      if (table === dottedKey) return i + 1;
      continue;
    }
    const assignment = /^([A-Za-z0-9_."'-]+?)\s*=/.exec(line);
    if (!assignment) continue;
    const key = unquoteKey(assignment[1]);
    const full = table ? `${table}.${key}` : key;
    if (full === dottedKey || (dottedKey === 'safety.policy' && full === 'safety')) return i + 1;
  }
  return undefined;
}

function unquoteKey(key: string): string {
  return key
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .join('.');
}

function assign(config: CmdaiConfig, key: ConfigKey, value: ConfigValue, source: ConfigSource): void {
  const [head, tail] = key.split('.') as [string, string | undefined];
  const target = config as unknown as Record<string, Record<string, unknown>>;
  if (tail === undefined) (config as unknown as Record<string, unknown>)[head] = value;
  else target[head][tail] = value;
  config.sources[key] = source;
}

/** The effective value of a key (api_key redacted unless asked). */
export function getConfigValue(config: CmdaiConfig, key: string, options: { reveal?: boolean } = {}): ConfigValue | undefined {
  const canonical = canonicalKey(key);
  if (!isConfigKey(canonical)) {
    throw new CmdaiError('USAGE', `Unknown config key "${key}".`, { hint: `Known keys: ${knownKeysText()}.` });
  }
  const [head, tail] = canonical.split('.');
  const root = config as unknown as Record<string, unknown>;
  const value = (tail === undefined ? root[head] : (root[head] as Record<string, unknown>)[tail]) as ConfigValue | undefined;
  if (canonical === 'openai.api_key' && value !== undefined && !options.reveal) return '(set, hidden)';
  return value;
}

/**
 * Validates `value` for `key` and writes it into the config file, creating the file if needed.
 * Only the one line changes, so comments and layout survive.
 */
export function setConfigValue(file: string, key: string, value: string): ConfigValue {
  const canonical = canonicalKey(key);
  if (!isConfigKey(canonical)) {
    throw new CmdaiError('USAGE', `Unknown config key "${key}".`, { hint: `Known keys: ${knownKeysText()}.` });
  }
  const spec: KeySpec = CONFIG_KEYS[canonical];
  if (value.trim() === '' && spec.kind !== 'list') {
    throw new CmdaiError('USAGE', `Not saved: "${key}" cannot be empty.`, { hint: `To remove the setting (back to the default): cmdai config unset ${key}` });
  }
  const checked = checkText(spec, value);
  if (!checked.ok) {
    throw new CmdaiError('USAGE', `Not saved: "${key}" must be ${expectedValue(spec)} (got ${JSON.stringify(value)}).`);
  }
  const existing = readConfigText(file, false) ?? '';
  saveValidated(file, existing, writeKey(existing, canonical, checked.value));
  return checked.value;
}

/** Removes a key from the config file (its line only); false when it was not set there. */
export function unsetConfigValue(file: string, key: string): boolean {
  const canonical = canonicalKey(key);
  if (!isConfigKey(canonical)) {
    throw new CmdaiError('USAGE', `Unknown config key "${key}".`, { hint: `Known keys: ${knownKeysText()}.` });
  }
  const existing = readConfigText(file, false);
  if (existing === undefined) return false;
  const lines = existing.replace(/\r?\n$/, '').split(/\r?\n/);
  const line = findKeyLine(existing, canonical);
  if (line === undefined || /^\s*\[/.test(lines[line - 1])) return false;
  lines.splice(line - 1, 1);
  saveValidated(file, existing, lines.join('\n') + '\n');
  return true;
}

/**
 * Writes the new text atomically (mode 600) once it validates. A problem already in the file is
 * reported with the file's own line numbers, not those of the edited text.
 */
function saveValidated(file: string, existing: string, updated: string): void {
  try {
    parseConfigText(updated, file);
  } catch (err) {
    parseConfigText(existing, file);
    throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, updated, { mode: 0o600 });
  fs.renameSync(temp, file);
}

function tomlValue(value: ConfigValue): string {
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function writeKey(text: string, key: ConfigKey, value: ConfigValue): string {
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const [table, name] = key.includes('.') ? (key.split('.') as [string, string]) : ['', key];
  const rendered = `${name} = ${tomlValue(value)}`;

  // A top-level `safety = "..."` string and a [safety] table cannot both exist: move to the table.
  if (table === 'safety') {
    const bare = lines.findIndex((line) => /^\s*safety\s*=/.test(line));
    if (bare >= 0 && !lines.some((line) => /^\s*\[\s*safety\s*\]/.test(line))) {
      const policy = /=\s*(.*)$/.exec(lines[bare])![1];
      lines.splice(bare, 1);
      lines.push('', '[safety]', `policy = ${policy}`);
    } else if (bare >= 0) {
      lines.splice(bare, 1);
    }
  }

  const existingLine = findKeyLine(lines.join('\n'), key);
  if (existingLine !== undefined && !/^\s*\[/.test(lines[existingLine - 1])) {
    lines[existingLine - 1] = rendered;
    return lines.join('\n') + '\n';
  }
  if (table === '') {
    const firstTable = lines.findIndex((line) => /^\s*\[/.test(line));
    if (firstTable < 0) lines.push(rendered);
    else lines.splice(firstTable, 0, rendered, '');
    return lines.join('\n') + '\n';
  }
  const header = lines.findIndex((line) => new RegExp(`^\\s*\\[\\s*${table}\\s*\\]`).test(line));
  if (header < 0) {
    if (lines.length > 0) lines.push('');
    lines.push(`[${table}]`, rendered);
  } else {
    lines.splice(header + 1, 0, rendered);
  }
  return lines.join('\n') + '\n';
}
