// What is in the cache: one folder per model, `<modelsDir>/<name>/`, holding its files and a
// manifest written only after every file was verified. A folder without a matching manifest
// is not installed, whatever else it contains.
import { existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelEntry, ModelFileSpec } from './catalog';

export const MANIFEST_NAME = 'cmdai-model.json';

/** How a file's content was checked before it was put in place. */
export type VerifiedBy =
  | 'catalog-sha256'
  | 'config-sha256'
  | 'hub-lfs-sha256'
  | 'hub-git-sha1'
  | 'recorded-sha256';

export interface InstalledFile {
  path: string;
  sizeBytes: number;
  /** Always recorded, so later `cmdai model verify` runs have a value even when the catalog had none. */
  sha256: string;
  verifiedBy: VerifiedBy;
  /** The hub's own hash when it reported one (LFS sha256 or git blob sha1). */
  hubHash?: string;
  verifiedAt: string;
}

export interface InstalledManifest {
  name: string;
  format: ModelEntry['format'];
  repo?: string;
  revision?: string;
  url?: string;
  files: InstalledFile[];
  /** Set once every file is in place; until then the manifest records the files finished so far. */
  completedAt?: string;
}

export function modelFolder(modelsDir: string, name: string): string {
  return join(modelsDir, name);
}

/** What the engine loads: the first .gguf file for llama.cpp, the folder for MLX. */
export function modelLoadPath(modelsDir: string, entry: ModelEntry): string {
  const folder = modelFolder(modelsDir, entry.name);
  if (entry.format === 'mlx') return folder;
  const gguf = entry.files.find((file) => file.path.endsWith('.gguf')) ?? entry.files[0];
  return join(folder, gguf.path);
}

export async function readManifest(modelsDir: string, name: string): Promise<InstalledManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(modelFolder(modelsDir, name), MANIFEST_NAME), 'utf8')) as InstalledManifest;
    return Array.isArray(parsed.files) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function writeManifest(modelsDir: string, manifest: InstalledManifest): Promise<void> {
  const target = join(modelFolder(modelsDir, manifest.name), MANIFEST_NAME);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, target);
}

/** The manifest matches this entry (same revision / URL, same files) and every file is there at its size. */
export async function installedManifest(modelsDir: string, entry: ModelEntry): Promise<InstalledManifest | undefined> {
  const manifest = await readManifest(modelsDir, entry.name);
  if (!manifest || !manifest.completedAt || !manifestMatches(manifest, entry)) return undefined;
  for (const file of manifest.files) {
    try {
      const info = await stat(join(modelFolder(modelsDir, entry.name), file.path));
      if (!info.isFile() || info.size !== file.sizeBytes) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest;
}

export function manifestMatches(manifest: InstalledManifest, entry: ModelEntry): boolean {
  if (manifest.revision !== entry.revision || manifest.url !== entry.files[0]?.url) return false;
  if (manifest.files.length !== entry.files.length) return false;
  return entry.files.every((spec) => {
    const recorded = manifest.files.find((file) => file.path === spec.path);
    return recorded !== undefined && fileSpecAgrees(spec, recorded);
  });
}

function fileSpecAgrees(spec: ModelFileSpec, recorded: InstalledFile): boolean {
  if (spec.sizeBytes !== null && spec.sizeBytes !== recorded.sizeBytes) return false;
  return spec.sha256 === null || spec.sha256 === recorded.sha256;
}

/** Deletes a model's folder, partial downloads included. */
export async function removeModelFolder(modelsDir: string, name: string): Promise<boolean> {
  const folder = modelFolder(modelsDir, name);
  if (!existsSync(folder)) return false;
  await rm(folder, { recursive: true, force: true });
  return true;
}

/** Bytes of unfinished downloads in a model's folder (`*.partial`). */
export async function partialBytes(modelsDir: string, name: string): Promise<number> {
  const folder = modelFolder(modelsDir, name);
  let total = 0;
  try {
    for (const item of await readdir(folder, { recursive: true })) {
      if (String(item).endsWith('.partial')) total += (await stat(join(folder, String(item)))).size;
    }
  } catch {
    return 0;
  }
  return total;
}
