// What goes into the npm tarball: scripts/check-pack.js's rules, and this checkout measured by them.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');

interface CheckPack {
  REQUIRED: string[];
  findPackProblems(
    paths: string[],
    options?: {
      expectPrebuilds?: string[];
      prebuildManifests?: Record<string, { addon: string; libraries: string[]; cpuVariantsNotBuilt?: Record<string, string> }>;
      bundledPackages?: string[];
    },
  ): string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPackProblems, REQUIRED } = require(path.join(repoRoot, 'scripts', 'check-pack.js')) as CheckPack;

// A package holding exactly what check-pack.js requires (its one list of what must ship).
const COMPLETE = [...REQUIRED];

describe('check-pack rules', () => {
  test('the required list holds the CLI entry, the compiled library, the notices and the catalog', () => {
    expect(REQUIRED).toEqual(
      expect.arrayContaining(['package.json', 'LICENSE', 'THIRD_PARTY_NOTICES.md', 'bin/cmdai.js', 'dist/index.js', 'dist/engine/index.js', 'models/catalog.json']),
    );
  });

  test('a complete package with nothing extra has no problems', () => {
    expect(findPackProblems(COMPLETE)).toEqual([]);
  });

  test.each([
    ['deps/llama.cpp/CMakeLists.txt', 'deps/'],
    ['test/dist/tarball.test.ts', 'test files'],
    ['scripts/fixtures/prompt.json', 'fixtures'],
    ['models/test/tiny-qwen2.gguf', 'models/test/'],
    ['models/some-model.gguf', 'model weights'],
    ['build/Release/cmdai.node', 'build/'],
    ['lib/index.ts', 'TypeScript sources'],
  ])('%s is reported as a leak', (leaked, reason) => {
    const problems = findPackProblems([...COMPLETE, leaked]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(leaked);
    expect(problems[0]).toContain(reason);
  });

  test('a missing license notice is reported', () => {
    expect(findPackProblems(COMPLETE.filter((p) => p !== 'THIRD_PARTY_NOTICES.md'))).toEqual([
      'THIRD_PARTY_NOTICES.md is missing from the package.',
    ]);
  });

  test('an expected platform without a prebuilt addon is reported', () => {
    const problems = findPackProblems(COMPLETE, { expectPrebuilds: ['win32-x64'] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/no prebuilt addon for win32-x64/);
  });

  test('a prebuild missing a library its manifest lists is reported', () => {
    const packed = [...COMPLETE, 'prebuilds/linux-x64/cmdai.glibc.napi.node', 'prebuilds/linux-x64/libggml-base.so'];
    const manifest = { addon: 'cmdai.glibc.napi.node', libraries: ['libggml-base.so', 'libggml-cpu-haswell.so'] };
    expect(findPackProblems(packed, { expectPrebuilds: ['linux-x64'], prebuildManifests: { 'linux-x64': manifest } })).toEqual([
      'prebuilds/linux-x64/libggml-cpu-haswell.so is listed in prebuild.json but not packed.',
    ]);
  });

  test('a bundled package, or a dependency of one, left out of the tarball is reported', () => {
    const packed = [...COMPLETE, 'node_modules/tree-sitter/package.json', 'node_modules/node-gyp-build/index.js'];
    const problems = findPackProblems(packed, { bundledPackages: ['tree-sitter', 'node-gyp-build', 'node-addon-api'] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^node_modules\/node-addon-api is missing from the package: it is bundled/);
  });

  test('a partial development build (--cpu-variants) is refused; a variant the compiler lacks is not', () => {
    const packed = [...COMPLETE, 'prebuilds/linux-arm64/cmdai.glibc.napi.node', 'prebuilds/linux-arm64/libggml-cpu-armv8.0_1.so'];
    const manifest = (notBuilt: Record<string, string>) => ({
      addon: 'cmdai.glibc.napi.node',
      libraries: ['libggml-cpu-armv8.0_1.so'],
      cpuVariantsNotBuilt: notBuilt,
    });
    const check = (notBuilt: Record<string, string>) =>
      findPackProblems(packed, { expectPrebuilds: ['linux-arm64'], prebuildManifests: { 'linux-arm64': manifest(notBuilt) } });
    expect(check({ 'armv9.2_1': 'compiler' })).toEqual([]);
    const problems = check({ 'armv9.2_1': 'compiler', 'armv8.2_1': 'CMDAI_CPU_VARIANTS_ONLY', 'armv8.6_1': 'CMDAI_CPU_VARIANTS_ONLY' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/partial development build without the CPU variants armv8\.2_1, armv8\.6_1/);
  });
});

describe('this checkout, packed', () => {
  let report: {
    size: number;
    unpackedSize: number;
    problems: string[];
    areas: Record<string, { files: number; bytes: number }>;
    prebuilds: Record<string, { files: number; bytes: number; packedBytes: number }>;
  };

  beforeAll(() => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'check-pack.js'), '--json'], { cwd: repoRoot, encoding: 'utf8' });
    if (!r.stdout) throw new Error(`check-pack.js produced no report: exit ${r.status}\n${r.stderr}`);
    report = JSON.parse(r.stdout) as typeof report;
  });

  test('leaks nothing that must stay out of the tarball', () => {
    expect(report.problems.filter((p) => p.includes('must not be packed'))).toEqual([]);
  });

  test('carries everything a user install needs (after `npm run build:ts`)', () => {
    expect(report.problems.filter((p) => p.includes('is missing'))).toEqual([]);
  });

  test('reports each prebuild platform with its unpacked and compressed size', () => {
    for (const [tuple, area] of Object.entries(report.areas).filter(([name]) => name.startsWith('prebuilds/'))) {
      const platform = report.prebuilds[tuple.slice('prebuilds/'.length)];
      expect(platform).toMatchObject({ files: area.files, bytes: area.bytes });
      expect(platform.packedBytes).toBeGreaterThan(0);
      expect(platform.packedBytes).toBeLessThan(platform.bytes);
    }
  });
});
