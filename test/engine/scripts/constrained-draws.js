// Child of test/engine/answer-prefix.test.ts: runs constrained completions on the tiny model and
// prints their tokens as JSON, so the test can compare a run with CMDAI_GRAMMAR_FULL_FILTER set
// (the sampler filters the whole vocabulary) against one without (the ordered search). The
// variable is read by the addon, so it must be in the real environment of the process: Jest's
// sandboxed process.env does not reach it.
// Usage: node constrained-draws.js <dist/engine/index.js> <model.gguf> '<cases as JSON>'
'use strict';

const [enginePath, model, casesJson] = process.argv.slice(2);

async function main() {
  const { loadModel } = require(enginePath);
  const m = await loadModel(model, { contextSize: 1024 });
  const out = [];
  for (const c of JSON.parse(casesJson)) {
    const prompt = m.applyChatTemplate([{ role: 'user', content: c.request }], { addAssistant: true });
    const result = await m.complete(prompt, { grammar: c.grammar, jsonSchema: c.jsonSchema, maxTokens: 40, temperature: c.temperature, seed: c.seed, topK: c.topK });
    out.push({ tokens: result.tokens, text: result.text });
  }
  await m.dispose();
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`constrained-draws: ${err.message}\n`);
  process.exit(1);
});
