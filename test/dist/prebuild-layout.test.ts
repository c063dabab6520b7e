// The prebuilt addon for this machine (prebuilds/<platform>-<arch>/, made by `npm run build:prebuild`):
// complete, self-contained, and choosing its CPU code at run time. Linux only: the checks read ELF
// files and /proc/self/maps.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const tuple = `${process.platform}-${process.arch}`;
const prebuildDir = path.join(repoRoot, 'prebuilds', tuple);
const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

interface Manifest {
  addon: string;
  libraries: string[];
  cpuVariants: string[];
}

function readManifest(): Manifest {
  const file = path.join(prebuildDir, 'prebuild.json');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; run \`npm run build:prebuild\` first.`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
}

/** Loads the addon from `dir` in a fresh process and returns the ggml CPU backend library it mapped. */
function loadedCpuBackend(dir: string, addon: string): string {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  const r = spawnSync(process.execPath, [path.join(__dirname, 'scripts', 'loaded-cpu-backend.js'), path.join(dir, addon)], { encoding: 'utf8', env, cwd: os.tmpdir() });
  if (r.status !== 0) throw new Error(`loading ${addon} from ${dir} failed: ${r.stderr}`);
  return r.stdout.trim();
}

linuxOnly('the linux prebuild', () => {
  let manifest: Manifest;

  beforeAll(() => {
    manifest = readManifest();
  });

  test('has every file its prebuild.json lists', () => {
    const missing = [manifest.addon, ...manifest.libraries].filter((f) => !fs.existsSync(path.join(prebuildDir, f)));
    expect(missing).toEqual([]);
  });

  test('carries a CPU backend for the x86-64 baseline up to AVX-512 (or armv8.0 up)', () => {
    const required = process.arch === 'x64' ? ['x64', 'sse42', 'haswell', 'skylakex', 'zen4'] : ['armv8.0_1', 'armv8.2_1'];
    expect(manifest.cpuVariants).toEqual(expect.arrayContaining(required));
  });

  test('loads the best CPU backend this machine supports, from its own folder', () => {
    const loaded = loadedCpuBackend(prebuildDir, manifest.addon);
    expect(loaded).toMatch(/^libggml-cpu-.+\.so$/);
    expect(loaded).not.toBe('libggml-cpu-x64.so'); // any CPU that runs CI has more than the baseline
  });

  test('falls back to the baseline backend when it is the only one present', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-baseline-'));
    try {
      for (const f of [manifest.addon, ...manifest.libraries]) {
        if (/^libggml-cpu-/.test(f) && f !== `libggml-cpu-${process.arch === 'x64' ? 'x64' : 'armv8.0_1'}.so`) continue;
        fs.copyFileSync(path.join(prebuildDir, f), path.join(dir, f));
      }
      expect(loadedCpuBackend(dir, manifest.addon)).toBe(`libggml-cpu-${process.arch === 'x64' ? 'x64' : 'armv8.0_1'}.so`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Code outside the CPU variants runs on every machine, so it must not use AVX registers (ymm/zmm):
  // one AVX instruction there would crash a pre-AVX CPU with SIGILL before any variant is chosen.
  (process.arch === 'x64' ? test : test.skip)('uses no AVX instructions outside the CPU variant libraries', () => {
    const common = [manifest.addon, ...manifest.libraries.filter((f) => /^lib(llama|ggml|ggml-base|ggml-cpu-x64)\.so$/.test(f))];
    expect(common.length).toBeGreaterThanOrEqual(4);
    const offenders: string[] = [];
    for (const f of common) {
      const r = spawnSync('objdump', ['-d', '--no-show-raw-insn', path.join(prebuildDir, f)], { encoding: 'utf8', maxBuffer: 512 << 20 });
      if (r.error) throw new Error(`objdump is needed for this check (apt-get install binutils): ${r.error.message}`);
      const avx = r.stdout.split('\n').filter((l) => /%[yz]mm\d/.test(l));
      if (avx.length) offenders.push(`${f}: ${avx.length} instructions, e.g. ${avx[0].trim()}`);
    }
    expect(offenders).toEqual([]);
  });
});
