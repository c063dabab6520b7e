// Loads an addon and prints which ggml CPU backend library the process mapped (or "none"), for
// test/dist/prebuild-layout.test.ts: node loaded-cpu-backend.js <addon.node>
'use strict';

const fs = require('node:fs');

require(process.argv[2]);
const maps = fs.readFileSync('/proc/self/maps', 'utf8');
const match = /\/(libggml-cpu-[^/\s]+\.so)\s*$/m.exec(maps);
console.log(match ? match[1] : 'none');
