// Lifecycle of the MLX engine: repeated load/dispose without memory growth, and two models (or
// queued calls on one) each giving what they give alone. Use from a worker thread and a clean
// process exit are in the contract both engines keep (test/engine/contract.ts).
import { loadMlxModel } from '../../lib/engine/mlx';
import { describeWithMlx, mlxFixtures } from './mlx-fixtures';

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / (1 << 20);
}

describeWithMlx('MLX load/dispose cycles', () => {
  const CYCLES = 20;
  // The float model holds ~40 MB of weights; leaking them (or their KV cache) on every cycle
  // would exceed this bound many times over.
  const RSS_GROWTH_BOUND_MIB = 60;

  test(`${CYCLES} cycles keep resident memory within ${RSS_GROWTH_BOUND_MIB} MiB of the start`, async () => {
    const folder = mlxFixtures().dir;
    let baseline = 0;
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const model = await loadMlxModel(folder, { contextSize: 256 });
      await model.complete('cycle', { temperature: 0, maxTokens: 2 });
      await model.dispose();
      if (cycle === 5) baseline = rssMiB();
    }
    const growth = rssMiB() - baseline;
    process.stdout.write(`MLX RSS growth over ${CYCLES - 5} load/dispose cycles: ${growth.toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND_MIB);
  }, 240_000);
});

describeWithMlx('two MLX models at once', () => {
  test('generating at the same time, each gives what it gives alone', async () => {
    const fixtures = mlxFixtures();
    const [a, b] = await Promise.all([
      loadMlxModel(fixtures.dir, { contextSize: 256 }),
      loadMlxModel(fixtures.quantizedDir, { contextSize: 256 }),
    ]);
    try {
      const opts = { maxTokens: 32, temperature: 0 };
      const aloneA = await a.complete('hello world', opts);
      const aloneB = await b.complete('hello world', opts);
      for (let round = 0; round < 3; round++) {
        const [togetherA, togetherB] = await Promise.all([a.complete('hello world', opts), b.complete('hello world', opts)]);
        expect(togetherA.tokens).toEqual(aloneA.tokens);
        expect(togetherB.tokens).toEqual(aloneB.tokens);
      }
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  test('calls on one model queue up and each gets its own answer', async () => {
    const model = await loadMlxModel(mlxFixtures().dir, { contextSize: 256 });
    try {
      const prompts = ['one', 'two', 'three'];
      const alone = [];
      for (const p of prompts) alone.push((await model.complete(p, { maxTokens: 8, temperature: 0 })).tokens);
      const together = await Promise.all(prompts.map((p) => model.complete(p, { maxTokens: 8, temperature: 0 })));
      expect(together.map((c) => c.tokens)).toEqual(alone);
    } finally {
      await model.dispose();
    }
  });
});
