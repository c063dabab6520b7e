// The models cmdai knows how to fetch: the built-in catalog (models/catalog.json, data shipped
// in the package) plus the user's `[[models.custom]]` entries from the config file.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CustomModelEntry } from '../config';
import { CmdaiError } from '../errors';

export type ModelFormat = 'gguf' | 'mlx';

export interface ModelFileSpec {
  /** Path inside the repository, and inside the model's folder in the cache. */
  path: string;
  /** Exact size when known; null when only an approximate size was published. */
  sizeBytes: number | null;
  /** Shown to users (and used for the disk-space check) when the exact size is unknown. */
  approxBytes?: number;
  /** sha256 of the file when known; null means "verify against the hub's own hash". */
  sha256: string | null;
  /** A direct download URL (custom models); otherwise the file is resolved from repo + revision. */
  url?: string;
}

export interface ModelLicense {
  id: string;
  name: string;
  url?: string;
}

export interface ModelEntry {
  name: string;
  description: string;
  format: ModelFormat;
  parameters?: string;
  quantization?: string;
  repo?: string;
  revision?: string;
  license?: ModelLicense;
  gated?: boolean;
  contextLength?: number;
  files: ModelFileSpec[];
  /** Where the entry came from: the shipped catalog or the user's config file. */
  origin: 'catalog' | 'config';
}

/** One `[[models.custom]]` table from the config file, as written by the user (declared with the config). */
export type CustomModelConfig = CustomModelEntry;

export interface ModelsConfig {
  /** `[models] dir`: where models are cached. */
  dir?: string;
  custom?: CustomModelConfig[];
}

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export class ModelCatalog {
  private readonly byName: Map<string, ModelEntry>;

  constructor(
    private readonly entries: readonly ModelEntry[],
    private readonly defaults: Readonly<Record<ModelFormat, string>>,
  ) {
    this.byName = new Map(entries.map((entry) => [entry.name.toLowerCase(), entry]));
  }

  /** The catalog shipped with the package, with the user's custom models added. */
  static load(config: ModelsConfig = {}): ModelCatalog {
    return builtInCatalog().withCustom(config.custom ?? []);
  }

  list(): readonly ModelEntry[] {
    return this.entries;
  }

  find(name: string): ModelEntry | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The entry for `name`, or a usage error (a mistyped name) that lists the names that do exist. */
  get(name: string): ModelEntry {
    const entry = this.find(name);
    if (entry) return entry;
    throw new CmdaiError('USAGE', `There is no model named "${name}" in the catalog or the config file.`, {
      hint: `Known models: ${this.entries.map((e) => e.name).join(', ')}. For a GGUF file on disk, pass its path: --model /path/to/model.gguf`,
    });
  }

  defaultName(format: ModelFormat = 'gguf'): string {
    return this.defaults[format];
  }

  withCustom(custom: readonly CustomModelConfig[]): ModelCatalog {
    if (custom.length === 0) return this;
    const added = custom.map((item, index) => customModelEntry(item, index));
    for (const entry of added) {
      if (this.find(entry.name)) {
        throw new CmdaiError('CONFIG', `models.custom: the name "${entry.name}" is already used by the built-in catalog.`, {
          hint: 'Give the custom model a different name.',
        });
      }
    }
    const seen = new Set<string>();
    for (const entry of added) {
      const key = entry.name.toLowerCase();
      if (seen.has(key)) {
        throw new CmdaiError('CONFIG', `models.custom: the name "${entry.name}" appears twice.`, {
          hint: 'Each custom model needs its own name.',
        });
      }
      seen.add(key);
    }
    return new ModelCatalog([...this.entries, ...added], this.defaults);
  }
}

/** Total download size; `exact` is false when some file only has an approximate size. */
export function modelTotalBytes(entry: ModelEntry): { bytes: number; exact: boolean } {
  let bytes = 0;
  let exact = true;
  for (const file of entry.files) {
    if (file.sizeBytes !== null) bytes += file.sizeBytes;
    else {
      exact = false;
      bytes += file.approxBytes ?? 0;
    }
  }
  return { bytes, exact };
}

/** `${HF_ENDPOINT}/{repo}/resolve/{revision}/{file}`, or the file's own URL for URL-based models. */
export function fileDownloadUrl(entry: ModelEntry, file: ModelFileSpec, endpoint: string = DEFAULT_HF_ENDPOINT): string {
  if (file.url) return file.url;
  if (!entry.repo || !entry.revision) {
    throw new CmdaiError('CONFIG', `Model "${entry.name}" has neither a URL nor a repository and revision for ${file.path}.`);
  }
  const base = endpoint.replace(/\/+$/, '');
  const repo = entry.repo.split('/').map(encodeURIComponent).join('/');
  const path = file.path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repo}/resolve/${encodeURIComponent(entry.revision)}/${path}`;
}

let cachedBuiltIn: ModelCatalog | undefined;

export function builtInCatalog(): ModelCatalog {
  cachedBuiltIn ??= parseCatalog(JSON.parse(readFileSync(catalogPath(), 'utf8')), catalogPath());
  return cachedBuiltIn;
}

/** models/catalog.json sits at the package root: two levels up from lib/models or dist/models. */
export function catalogPath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'models', 'catalog.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new CmdaiError('MODEL_INVALID', `The model catalog (models/catalog.json) is missing from the cmdai package near ${__dirname}.`, {
    hint: 'Reinstall cmdai; the package is incomplete.',
  });
}

/** Validates the catalog file's shape so a bad edit fails loudly, naming the field. */
export function parseCatalog(raw: unknown, source = 'catalog'): ModelCatalog {
  const bad = (what: string): never => {
    throw new CmdaiError('MODEL_INVALID', `${source}: ${what}`);
  };
  if (!isRecord(raw) || !Array.isArray(raw.models)) bad('expected an object with a "models" array');
  const root = raw as { models: unknown[]; defaults?: unknown };
  const entries = root.models.map((item, index): ModelEntry => {
    const at = `models[${index}]`;
    if (!isRecord(item)) return bad(`${at} is not an object`);
    const name = item.name;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) bad(`${at}.name is missing or not a simple name`);
    if (item.format !== 'gguf' && item.format !== 'mlx') bad(`${at}.format must be "gguf" or "mlx"`);
    if (typeof item.repo !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(item.repo)) bad(`${at}.repo must look like "owner/name"`);
    if (typeof item.revision !== 'string' || !/^[0-9a-f]{40}$/.test(item.revision)) bad(`${at}.revision must be a full 40-character commit id`);
    if (!Array.isArray(item.files) || item.files.length === 0) bad(`${at}.files must list at least one file`);
    const files = (item.files as unknown[]).map((file, fileIndex): ModelFileSpec => {
      const fat = `${at}.files[${fileIndex}]`;
      if (!isRecord(file) || typeof file.path !== 'string' || !isSafeRelativePath(file.path)) bad(`${fat}.path must be a relative path`);
      const f = file as Record<string, unknown>;
      if (f.sizeBytes !== null && !isPositiveInteger(f.sizeBytes)) bad(`${fat}.sizeBytes must be a positive integer or null`);
      if (f.sizeBytes === null && !isPositiveInteger(f.approxBytes)) bad(`${fat}.approxBytes is needed when sizeBytes is null`);
      if (f.sha256 !== null && (typeof f.sha256 !== 'string' || !SHA256_PATTERN.test(f.sha256))) bad(`${fat}.sha256 must be 64 lowercase hex digits or null`);
      return {
        path: f.path as string,
        sizeBytes: f.sizeBytes as number | null,
        approxBytes: f.approxBytes as number | undefined,
        sha256: f.sha256 as string | null,
      };
    });
    return {
      name: name as string,
      description: typeof item.description === 'string' ? item.description : (name as string),
      format: item.format as ModelFormat,
      parameters: optionalString(item.parameters),
      quantization: optionalString(item.quantization),
      repo: item.repo as string,
      revision: item.revision as string,
      license: isRecord(item.license) ? (item.license as unknown as ModelLicense) : undefined,
      gated: item.gated === true,
      contextLength: isPositiveInteger(item.contextLength) ? (item.contextLength as number) : undefined,
      files,
      origin: 'catalog',
    };
  });
  const defaults = isRecord(root.defaults) ? root.defaults : {};
  const catalog = new ModelCatalog(entries, {
    gguf: typeof defaults.gguf === 'string' ? defaults.gguf : entries[0].name,
    mlx: typeof defaults.mlx === 'string' ? defaults.mlx : entries[0].name,
  });
  for (const format of ['gguf', 'mlx'] as const) {
    const entry = catalog.find(catalog.defaultName(format));
    if (!entry || entry.format !== format) bad(`defaults.${format} must name a ${format} model of the catalog`);
  }
  return catalog;
}

/** Turns one `[[models.custom]]` table into a catalog entry, or a CONFIG error naming the key. */
export function customModelEntry(item: CustomModelConfig, index = 0): ModelEntry {
  const at = `models.custom[${index}]`;
  const fail = (what: string, hint?: string): never => {
    throw new CmdaiError('CONFIG', `${at}: ${what}`, { hint });
  };
  if (!isRecord(item)) fail('must be a table with name, url or repo+file, and sha256');
  if (typeof item.name !== 'string' || !NAME_PATTERN.test(item.name)) {
    fail('name is missing or contains characters other than letters, digits, ".", "_" and "-"');
  }
  const sha256 = item.sha256 === undefined ? null : String(item.sha256).toLowerCase();
  if (sha256 !== null && !SHA256_PATTERN.test(sha256)) fail(`sha256 must be 64 hex digits (got "${item.sha256}")`);
  if (item.context_length !== undefined && !isPositiveInteger(item.context_length)) fail('context_length must be a positive integer');
  const hasUrl = item.url !== undefined;
  const hasRepo = item.repo !== undefined || item.file !== undefined;
  if (hasUrl === hasRepo) fail('give either url, or repo and file (not both, not neither)');

  let file: ModelFileSpec;
  let repo: string | undefined;
  let revision: string | undefined;
  if (hasUrl) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(item.url));
    } catch {
      fail(`url is not a valid URL: "${item.url}"`);
    }
    if (parsed!.protocol !== 'https:' && parsed!.protocol !== 'http:') fail('url must start with https:// or http://');
    if (sha256 === null) {
      fail('sha256 is required for a model given by url', 'Add sha256 = "<64 hex digits>" so the download can be verified.');
    }
    const fileName = decodeURIComponent(parsed!.pathname.split('/').pop() ?? '');
    file = { path: fileName.endsWith('.gguf') ? fileName : `${item.name}.gguf`, sizeBytes: null, sha256, url: parsed!.toString() };
  } else {
    if (typeof item.repo !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(item.repo)) fail('repo must look like "owner/name"');
    if (typeof item.file !== 'string' || !isSafeRelativePath(item.file)) fail('file must be a relative path inside the repository');
    if (!item.file!.endsWith('.gguf')) fail('file must be a .gguf file (custom models run on llama.cpp)');
    repo = item.repo;
    revision = item.revision === undefined ? 'main' : String(item.revision);
    file = { path: item.file!, sizeBytes: null, sha256 };
  }
  return {
    name: item.name,
    description: typeof item.description === 'string' ? item.description : `Custom model from the config file (${hasUrl ? item.url : `${repo}/${item.file}`})`,
    format: 'gguf',
    repo,
    revision,
    contextLength: item.context_length,
    files: [file],
    origin: 'config',
  };
}

/** Validates the `[models]` table of the config file. */
export function parseModelsConfig(raw: unknown): ModelsConfig {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new CmdaiError('CONFIG', '[models] must be a table.');
  const config: ModelsConfig = {};
  if (raw.dir !== undefined) {
    if (typeof raw.dir !== 'string' || raw.dir.trim() === '') throw new CmdaiError('CONFIG', 'models.dir must be a non-empty path.');
    config.dir = raw.dir;
  }
  if (raw.custom !== undefined) {
    if (!Array.isArray(raw.custom)) throw new CmdaiError('CONFIG', 'models.custom must be an array of tables ([[models.custom]]).');
    config.custom = raw.custom as CustomModelConfig[];
    config.custom.forEach((item, index) => customModelEntry(item, index));
  }
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isSafeRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && !path.split('/').some((part) => part === '..' || part === '');
}
