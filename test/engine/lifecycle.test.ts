// Lifecycle of the llama.cpp engine: repeated load/dispose without memory growth, models freed by
// GC, and llama.cpp's logging. Use from a worker thread and a clean process exit are in the
// contract both engines keep (test/engine/contract.ts).

import { runEngineChild, type ChildModel } from '../helpers/engine-child';
import { tinyModel } from './engine-fixtures';

// One malloc arena, and big buffers returned to the OS at once: see 'load/dispose cycles' below.
const steadyMalloc = { MALLOC_MMAP_THRESHOLD_: String(1 << 20), MALLOC_ARENA_MAX: '1' };

const child = (contextSize: number): ChildModel => ({ engine: 'llama.cpp', model: tinyModel(), options: { contextSize, threads: 1 } });

describe('load/dispose cycles', () => {
  const CYCLES = 50;
  // The children run with glibc's mmap threshold pinned at 1 MiB, so freed weight buffers go
  // back to the OS at once, and with one malloc arena (MALLOC_ARENA_MAX=1): with one arena per
  // thread that loads or generates, what lingers in them swung the floor between two levels
  // ~16 MiB apart from run to run (seen in both tests, before and after session 5's changes; the
  // GC test failed on it about one run in five). With one arena the floor is flat to 0.1 MiB over
  // four runs here, at ~118 MiB instead of ~260. After 20 warm-up cycles the
  // lowest RSS of cycles 21-30 is compared with the lowest of the last 10: a leak of ~0.6 MiB
  // per cycle or more fails; leaking the weights (19 MiB), the vocabulary or a context per cycle
  // fails many times over.
  const FLOOR_GROWTH_BOUND_MIB = 12;
  // And an absolute ceiling for the whole run (measured: ~135 MiB at the plateau, ~270 MiB with an arena per thread).
  const RSS_CEILING_MIB = 400;

  test(`${CYCLES} load/complete/dispose cycles raise the resident memory floor by less than ${FLOOR_GROWTH_BOUND_MIB} MiB`, () => {
    // A child with --expose-gc, so garbage JS objects do not blur the figure.
    const run = runEngineChild('cycles', child(512), { count: CYCLES, env: steadyMalloc, timeoutMs: 240_000 });
    expect(run.stderr).toBe('');
    const rss = JSON.parse(run.stdout) as number[];
    expect(rss).toHaveLength(CYCLES);
    const early = Math.min(...rss.slice(20, 30));
    const late = Math.min(...rss.slice(CYCLES - 10));
    process.stdout.write(
      `RSS floor: cycles 21-30 ${early.toFixed(1)} MiB, cycles ${CYCLES - 9}-${CYCLES} ${late.toFixed(1)} MiB ` +
        `(growth ${(late - early).toFixed(1)} MiB; all samples ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB)\n`,
    );
    expect(late - early).toBeLessThan(FLOOR_GROWTH_BOUND_MIB);
    expect(Math.max(...rss)).toBeLessThan(RSS_CEILING_MIB);
  }, 300_000);
});

describe('garbage collection', () => {
  const CYCLES = 40;
  const FLOOR_GROWTH_BOUND_MIB = 12;

  test(`models that are dropped without dispose() are freed by GC (${CYCLES} cycles, floor growth < ${FLOOR_GROWTH_BOUND_MIB} MiB)`, () => {
    const run = runEngineChild('dropped', child(512), { count: CYCLES, env: steadyMalloc, timeoutMs: 240_000 });
    expect(run.stderr).toBe('');
    const rss = JSON.parse(run.stdout) as number[];
    const early = Math.min(...rss.slice(20, 30));
    const late = Math.min(...rss.slice(CYCLES - 10));
    process.stdout.write(`GC: RSS floor cycles 21-30 ${early.toFixed(1)} MiB, cycles ${CYCLES - 9}-${CYCLES} ${late.toFixed(1)} MiB\n`);
    expect(late - early).toBeLessThan(FLOOR_GROWTH_BOUND_MIB);
  }, 300_000);
});

describe('llama.cpp logging', () => {
  test('is silent by default', () => {
    const run = runEngineChild('load-dispose', child(256));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });

  test('CMDAI_LLAMA_LOG=1 shows it on stderr', () => {
    const run = runEngineChild('load-dispose', child(256), { env: { CMDAI_LLAMA_LOG: '1' } });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('llama_model_loader');
  });
});
