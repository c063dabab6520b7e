// Runs previewImpact (compiled dist/) and prints its result as JSON, for
// test/impact/preview.test.ts, which starts it as an unprivileged user:
// node preview-as-user.js <command> <cwd>
'use strict';

const path = require('node:path');

const { previewImpact } = require(path.resolve(__dirname, '..', '..', '..', 'dist', 'impact'));

const [command, cwd] = process.argv.slice(2);
previewImpact(command, { cwd, home: '/nonexistent', timeoutMs: 60000 }).then((preview) => process.stdout.write(JSON.stringify(preview)));
