// Where the MLX tests find their models and the MLX addon. The model folders are generated on
// first use (a second or two); the addon is built separately (specs/mlx.md), and tests that need
// it are reported as skipped, with the reason, when it is absent.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadMlxAddon } from '../../lib/engine/mlx/binding';
import { makeMlxFixtures, mlxFixturePaths, mlxFixturesExist, qwen2VocabGguf, type MlxFixturePaths } from '../../scripts/make-mlx-fixture';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The MLX model folders and their GGUF twin; fails (never skips) when they cannot be made. */
export function mlxFixtures(): MlxFixturePaths {
  const paths = mlxFixturePaths(repoRoot);
  if (!mlxFixturesExist(paths)) {
    if (!fs.existsSync(qwen2VocabGguf(repoRoot))) {
      throw new Error(`${qwen2VocabGguf(repoRoot)} is missing; fetch llama.cpp first (node scripts/fetch-llama.js).`);
    }
    makeMlxFixtures(paths);
  }
  return paths;
}

const lookup = loadMlxAddon();
/** Why the MLX engine cannot run here, or null when it can. */
export const mlxUnavailable: string | null = lookup.addon ? null : lookup.reason;

/**
 * `describe` when the MLX addon is present; otherwise `describe.skip` with the reason in the
 * title, plus a console note, so the skip is visible in every reporter.
 */
export function describeWithMlx(title: string, body: () => void): void {
  if (mlxUnavailable === null) {
    describe(title, body);
    return;
  }
  console.warn(`[skipped] ${title}: ${mlxUnavailable}`);
  describe.skip(`${title} [skipped: ${mlxUnavailable}]`, body);
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-mlx-test-'));
}
