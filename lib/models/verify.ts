// Re-checking an installed model against the sha256 it was verified with when downloaded.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelEntry } from './catalog';
import { sha256File } from './hashing';
import { modelFolder, readManifest } from './installed';

export interface FileCheck {
  path: string;
  ok: boolean;
  /** Why it failed, in words. */
  problem?: string;
  expectedSha256?: string;
  actualSha256?: string;
}

export interface ModelCheck {
  installed: boolean;
  ok: boolean;
  files: FileCheck[];
}

export async function verifyInstalledModel(modelsDir: string, entry: ModelEntry): Promise<ModelCheck> {
  const manifest = await readManifest(modelsDir, entry.name);
  if (!manifest) return { installed: false, ok: false, files: [] };
  const folder = modelFolder(modelsDir, entry.name);
  const files: FileCheck[] = [];
  for (const spec of entry.files) {
    const recorded = manifest.files.find((file) => file.path === spec.path);
    // The catalog value wins; the recorded one covers files the catalog has no hash for.
    const expected = spec.sha256 ?? recorded?.sha256;
    const path = join(folder, spec.path);
    try {
      await stat(path);
    } catch {
      files.push({ path: spec.path, ok: false, problem: 'missing' });
      continue;
    }
    if (!expected) {
      files.push({ path: spec.path, ok: false, problem: 'no sha256 known or recorded for it' });
      continue;
    }
    const actual = await sha256File(path);
    files.push({
      path: spec.path,
      ok: actual === expected,
      problem: actual === expected ? undefined : 'sha256 differs',
      expectedSha256: expected,
      actualSha256: actual,
    });
  }
  return { installed: true, ok: files.every((file) => file.ok), files };
}
