// Builds llama.cpp's examples/simple (greedy decoding that prints the text) for a cross target,
// linked against the libraries of that target's prebuild (prebuilds/<target>/): the reference the
// cross tests compare the addon with, running the same llama.cpp build the addon ships with.
// The program and a copy of the prebuild's libraries go to build/cross/llama-simple-<target>/,
// where ggml finds its CPU variants next to the executable, as it does next to cmdai.node.
//
//   node scripts/cross/llama-simple.js <target>    prints the path of the built program
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const cross = require('./targets');

const repoRoot = path.resolve(__dirname, '..', '..');

function llamaCppDir() {
  const dir = process.env.LLAMA_CPP_DIR ? path.resolve(process.env.LLAMA_CPP_DIR) : path.join(repoRoot, 'deps', 'llama.cpp');
  if (!fs.existsSync(path.join(dir, 'examples', 'simple', 'simple.cpp'))) {
    throw new Error(`llama.cpp source not found in ${dir} (examples/simple/simple.cpp); run \`node scripts/fetch-llama.js\` or set LLAMA_CPP_DIR.`);
  }
  return dir;
}

/** Builds (when the prebuild or the source is newer) and returns the program's path. */
function buildLlamaSimple(targetName) {
  const target = cross.crossTarget(targetName);
  cross.requireTools(target, { emulator: false });
  const prebuild = path.join(repoRoot, 'prebuilds', target.name);
  if (!fs.existsSync(path.join(prebuild, 'prebuild.json'))) {
    throw new Error(`prebuilds/${target.name}/ is missing; run \`npm run build:prebuild -- --target ${target.name}\` first.`);
  }
  const source = path.join(llamaCppDir(), 'examples', 'simple', 'simple.cpp');
  const outDir = path.join(cross.crossDir, `llama-simple-${target.name}`);
  const exe = path.join(outDir, target.platform === 'win32' ? 'llama-simple.exe' : 'llama-simple');
  const newest = Math.max(fs.statSync(source).mtimeMs, fs.statSync(path.join(prebuild, 'prebuild.json')).mtimeMs);
  if (fs.existsSync(exe) && fs.statSync(exe).mtimeMs > newest) return exe;

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of fs.readdirSync(prebuild)) {
    if (!name.endsWith('.node') && name !== 'prebuild.json') fs.copyFileSync(path.join(prebuild, name), path.join(outDir, name));
  }
  const includes = ['-I', path.join(llamaCppDir(), 'include'), '-I', path.join(llamaCppDir(), 'ggml', 'include')];
  const libs =
    target.platform === 'win32'
      ? // GNU ld links against a DLL directly; the GCC runtime goes in statically, as in the prebuild.
        [path.join(outDir, 'llama.dll'), path.join(outDir, 'ggml.dll'), path.join(outDir, 'ggml-base.dll'), '-static']
      : ['-L', outDir, '-l:libllama.so', '-l:libggml.so', '-l:libggml-base.so', '-Wl,-rpath,$ORIGIN'];
  const args = ['-std=c++17', '-O2', ...includes, source, '-o', exe, ...libs];
  const r = spawnSync(target.cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${target.cxx} ${args.join(' ')} failed:\n${r.stderr}`);
  return exe;
}

module.exports = { buildLlamaSimple };

if (require.main === module) {
  try {
    process.stdout.write(buildLlamaSimple(process.argv[2] || '') + '\n');
  } catch (err) {
    process.stderr.write(`llama-simple: ${err.message}\n`);
    process.exit(1);
  }
}
