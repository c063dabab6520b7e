// Child processes in the tests run the real lib/models code as plain JavaScript. This
// transpiles it (with lib/http, lib/errors.ts and lib/config/paths.ts, which it imports) into a folder
// under node_modules/.cache, where node resolves got and the other dependencies as usual.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

const repoRoot = join(__dirname, '..', '..', '..');

export function compileModelsLib(): string {
  const outRoot = join(repoRoot, 'node_modules', '.cache', 'cmdai-models-test', String(process.pid));
  const sources = [
    ...['models', 'http'].flatMap((folder) =>
      readdirSync(join(repoRoot, 'lib', folder))
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
        .map((name) => join(repoRoot, 'lib', folder, name)),
    ),
    join(repoRoot, 'lib', 'errors.ts'),
    join(repoRoot, 'lib', 'config', 'paths.ts'),
  ];
  for (const source of sources) {
    const output = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: source,
    }).outputText;
    const target = join(outRoot, relative(repoRoot, source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
  }
  return join(outRoot, 'lib');
}
