#!/usr/bin/env node
'use strict';
// Kept tiny: `cmdai --version` answers without loading anything else.
const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V' || args[0] === '-v')) {
  process.stdout.write(require('../package.json').version + '\n');
} else {
  let cli;
  try {
    cli = require('../dist/cli/main.js');
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main')) {
      process.stderr.write('cmdai: this copy is not built yet; run `npm run build:ts` in the package folder.\n');
      process.exit(1);
    }
    throw err;
  }
  cli.run(args);
}
