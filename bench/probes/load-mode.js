// Child process of bench/ttc.ts: loads a model with one load mode, then times a fixed prompt and a
// few greedy tokens, and prints one JSON line:
//   {"loadMs","anonBytes","promptMs","promptTokens","tokenMs"}
// With `vocab` as the load mode, only the vocabulary is loaded (vocabOnly), and only
//   {"loadMs","anonBytes"} are printed: how much of a load is llama.cpp reading the tokenizer.
// Usage: node load-mode.js <dist/engine/index.js> <model.gguf> <mmap|read|vocab> <repack|no-repack>
'use strict';
const fs = require('node:fs');

const [enginePath, model, load, repack] = process.argv.slice(2);
// About as long as the part of a request the cached system prompt does not cover.
const PROMPT = 'Working directory: /home/dev/project\nRequest: find all files larger than 100MB in my home directory and show their sizes';

function rssAnon() {
  const match = /^RssAnon:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function main() {
  const { loadModel } = require(enginePath);
  if (load === 'vocab') {
    const started = performance.now();
    const vocab = await loadModel(model, { vocabOnly: true });
    const loadMs = performance.now() - started;
    process.stdout.write(JSON.stringify({ loadMs, anonBytes: rssAnon() }) + '\n');
    await vocab.dispose();
    return;
  }
  const m = await loadModel(model, { useMmap: load === 'mmap', repackWeights: repack === 'repack', threads: 2 });
  const anonBytes = rssAnon();
  const c = await m.complete(PROMPT, { maxTokens: 12, temperature: 0 });
  const t = c.timings;
  process.stdout.write(
    JSON.stringify({
      loadMs: t.loadMs,
      anonBytes,
      promptMs: t.promptMs,
      promptTokens: t.promptTokens,
      tokenMs: t.generatedTokens > 1 ? t.generationMs / t.generatedTokens : NaN,
    }) + '\n',
  );
  await m.dispose();
}

main().catch((err) => {
  process.stderr.write(`load-mode probe: ${err.message}\n`);
  process.exit(1);
});
