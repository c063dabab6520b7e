// Run by the target's node under qemu or wine (test/cross/cross.test.ts): greedy completion of
// a prompt with the installed package's engine, printed as JSON.
//   node greedy.js <package>/dist/engine/index.js <model.gguf> <prompt> <max tokens>
'use strict';

const [engineModule, modelFile, prompt, maxTokens] = process.argv.slice(2);
const { loadModel } = require(engineModule);

async function main() {
  const model = await loadModel(modelFile, { threads: 2 });
  try {
    const completion = await model.complete(prompt, { maxTokens: Number(maxTokens), temperature: 0 });
    process.stdout.write(JSON.stringify({ tokens: Array.from(completion.tokens), text: completion.text, stopReason: completion.stopReason }) + '\n');
  } finally {
    await model.dispose();
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
