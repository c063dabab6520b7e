// Greedy completion of the tiny test model through cmdai/engine must equal, token for token,
// what llama.cpp's examples/simple (llama-simple, built from the same source) prints for the
// same prompt and length.
//
// llama-simple prints text, not ids. The engine's token ids are rendered to bytes straight from
// the GGUF vocabulary (no engine code involved) and compared with llama-simple's bytes, and the
// counts are compared with its "decoded N tokens" report. The weights are random, so the output
// is gibberish full of scripts, emoji and split UTF-8 sequences: a strict test of byte handling.

import { loadModel } from '../../lib/engine';
import type { Completion, Model } from '../../lib/engine/types';
import { SimpleRun, requireFile, requireTool, runLlamaSimple, tinyModel, vocabularyRenderer } from './reference-tools';

const MAX_TOKENS = 32;

const PROMPTS: Record<string, string> = {
  'a single word': 'hello',
  'an English request': 'find all files larger than 100MB in my home directory',
  'non-ASCII text and an emoji': 'Grüße aus Köln — 東京 🦙',
  'a shell one-liner': 'for f in *.log; do gzip "$f"; done',
  'leading spaces and a tab': '   leading spaces and\ttabs',
  'a ChatML conversation with special tokens':
    '<|im_start|>system\nYou translate requests into shell commands.<|im_end|>\n' +
    '<|im_start|>user\nshow disk usage<|im_end|>\n<|im_start|>assistant\n',
  // Longer than the engine's default 512-token batch, so its prompt goes in several batches
  // where llama-simple decodes it in one.
  'a prompt longer than one batch': Array.from(
    { length: 60 },
    (_, i) => `step ${i}: list the ${i % 7 === 0 ? 'largest' : 'newest'} files under /var/log/app${i} and compress them;`,
  ).join(' '),
};

// Qwen2's end-of-generation tokens: <|endoftext|> and <|im_end|>.
const END_OF_GENERATION = new Set([151643, 151645]);

describe('greedy completion of the tiny model matches llama-simple', () => {
  let model: Model;
  let render: (tokens: number[]) => Buffer;

  beforeAll(async () => {
    requireTool('llama-simple');
    requireFile(tinyModel, 'npm run fixtures');
    render = vocabularyRenderer(tinyModel);
    model = await loadModel(tinyModel, { threads: 2 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  describe.each(Object.entries(PROMPTS))('for %s', (_name, prompt) => {
    let reference: SimpleRun;
    let completion: Completion;
    let generatedTokens: number[];

    beforeAll(async () => {
      reference = runLlamaSimple(tinyModel, prompt, MAX_TOKENS);
      completion = await model.complete(prompt, { maxTokens: MAX_TOKENS, temperature: 0 });
      generatedTokens = completion.tokens.filter((t, i, all) => !(i === all.length - 1 && END_OF_GENERATION.has(t)));
    });

    test('generates as many tokens as llama-simple', () => {
      expect(generatedTokens.length).toBe(reference.generatedCount);
    });

    test('generates the tokens llama-simple printed, byte for byte', () => {
      expect(render(generatedTokens).toString('hex')).toBe(reference.generated.toString('hex'));
    });

    test('returns as text the UTF-8 decoding of those bytes', () => {
      expect(completion.text).toBe(reference.generated.toString('utf8'));
    });

    test('reports why it stopped as llama-simple did', () => {
      expect(completion.stopReason).toBe(reference.generatedCount < MAX_TOKENS ? 'eos' : 'length');
    });
  });
});
