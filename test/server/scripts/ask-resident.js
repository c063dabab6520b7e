// One "shell" asking the resident server through the library's backend (compiled dist/), for
// test/server/resident.test.ts: node ask-resident.js <model> <tag>
// The JSON schema allows only <tag> as the answer's tag, so an answer carrying another shell's
// tag would be a mix-up. Prints { tag, text, streamed, resident, stopReason } as JSON.
'use strict';

const path = require('node:path');

const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const { createBackend } = require(path.join(dist, 'backends'));
const { defaultConfig } = require(path.join(dist, 'config'));

const [model, tag] = process.argv.slice(2);
if (!model || !tag) {
  process.stderr.write('usage: node ask-resident.js <model> <tag>\n');
  process.exit(2);
}

const backend = createBackend(defaultConfig('/nonexistent'), {
  flags: { model },
  resident: { keepAliveMs: 120000, onNotice: (message) => process.stderr.write(message + '\n') },
});
let streamed = '';
backend
  .generate({
    messages: [
      { role: 'system', content: 'Answer in JSON.' },
      { role: 'user', content: 'Say ' + tag },
    ],
    jsonSchema: {
      type: 'object',
      properties: { tag: { type: 'string', enum: [tag] }, note: { type: 'string', maxLength: 120 } },
      required: ['tag', 'note'],
      additionalProperties: false,
    },
    maxTokens: 96,
    temperature: 0.9,
    seed: tag.length,
    onToken: (piece) => (streamed += piece),
  })
  .then((r) => {
    process.stdout.write(JSON.stringify({ tag, text: r.text, streamed, resident: r.resident, stopReason: r.stopReason }));
    return backend.dispose();
  });
