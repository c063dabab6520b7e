// One Model contract, two engines: the same suite on llama.cpp and on MLX (reported skipped,
// with the reason, where the MLX engine is not built).
import { loadMlxModel, loadModel } from '../../lib/engine';
import { describeWithMlx, mlxFixtures } from '../mlx/mlx-fixtures';
import { engineContract } from './contract';
import { tinyModel } from './engine-fixtures';

engineContract('llama.cpp', {
  load: (contextSize) => loadModel(tinyModel(), { contextSize, threads: 2 }),
  child: () => ({ engine: 'llama.cpp', model: tinyModel(), options: { contextSize: 512, threads: 1 } }),
  describe,
});

engineContract('MLX', {
  load: (contextSize) => loadMlxModel(mlxFixtures().dir, { contextSize }),
  child: () => ({ engine: 'mlx', model: mlxFixtures().dir, options: { contextSize: 512 } }),
  describe: describeWithMlx,
});
