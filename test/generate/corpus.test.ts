// Every prompt of the nl2sh-alfa corpus (InterCode-ALFA, 300 verified requests) goes through the
// whole pipeline on the real engine with the tiny test model: one model load, then generateCommand
// in a loop. The tiny model's words are random; what is checked is that each answer comes back as
// one parseable command and that nothing crashes or hangs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEmbeddedBackend } from '../../lib/backends/embedded';
import { defaultConfig } from '../../lib/config';
import { generateCommand } from '../../lib/generate';
import { detectEnvironment } from '../../lib/prompt';
import { requireTinyModel } from '../cli/helpers';
import { corpusPath, describeWithCorpus } from '../helpers/corpora';

const corpusDir = corpusPath('nl2sh-alfa');
const PER_PROMPT_LIMIT_MS = 60_000;

interface AlfaPrompt {
  query: string;
  gold: string;
}

function loadCorpus(): AlfaPrompt[] {
  return [1, 2, 3, 4, 5].flatMap((n) => JSON.parse(fs.readFileSync(path.join(corpusDir, `nl2bash_fs_${n}.json`), 'utf8')) as AlfaPrompt[]);
}

function withinLimit<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${PER_PROMPT_LIMIT_MS} ms`)), PER_PROMPT_LIMIT_MS);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

describeWithCorpus(corpusDir, 'the nl2sh-alfa corpus', () => {
  test('all 300 nl2sh-alfa prompts return one parseable command each, without crashing or hanging', async () => {
    const prompts = loadCorpus();
    expect(prompts).toHaveLength(300);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-corpus-'));
    const backend = createEmbeddedBackend({ resolveModelPath: async () => requireTinyModel(), promptCacheDir: cacheDir });
    const config = defaultConfig(path.join(cacheDir, 'no-config.toml'));
    const environment = detectEnvironment({ shell: 'bash' });
    const failures: string[] = [];
    try {
      for (const [index, prompt] of prompts.entries()) {
        try {
          const result = await withinLimit(generateCommand(prompt.query, { backend, config, environment, maxTokens: 96 }), `prompt ${index + 1}`);
          if (typeof result.command !== 'string' || result.command.trim() === '') failures.push(`#${index + 1} ${prompt.query}: empty command`);
          if (result.backend !== 'llama.cpp') failures.push(`#${index + 1}: answered by ${result.backend}`);
        } catch (err) {
          failures.push(`#${index + 1} ${prompt.query}: ${(err as Error).message}`);
        }
      }
    } finally {
      await backend.dispose();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
  }, 60 * 60_000);
});
