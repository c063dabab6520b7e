// The MLX Model fits the InferenceBackend the pipeline uses: the embedded backend, given the
// MLX loader instead of llama.cpp's, answers a chat request in the pipeline's JSON shape.
import { createEmbeddedBackend } from '../../lib/backends/embedded';
import { loadMlxModel } from '../../lib/engine/mlx';
import { commandAnswerSchema, limitsForTokenBudget, parseCommandAnswer } from '../../lib/prompt/schema';
import { describeWithMlx, mlxFixtures, tempDir } from './mlx-fixtures';

describeWithMlx('an InferenceBackend over the MLX engine', () => {
  test('answers a chat request with a command the pipeline can parse', async () => {
    const backend = createEmbeddedBackend({
      resolveModelPath: async () => mlxFixtures().quantizedDir,
      modelLabel: 'mlx-tiny-qwen2-4bit',
      promptCacheDir: tempDir(),
      contextSize: 1024,
      loadModel: loadMlxModel,
    });
    try {
      const pieces: string[] = [];
      const result = await backend.generate({
        messages: [
          { role: 'system', content: 'Answer with one shell command as JSON.' },
          { role: 'user', content: 'show disk usage of the current directory' },
        ],
        jsonSchema: commandAnswerSchema(limitsForTokenBudget(96)),
        maxTokens: 96,
        temperature: 0,
        onToken: (p) => pieces.push(p),
      });
      expect(result.model).toBe('mlx-tiny-qwen2-4bit');
      expect(pieces.join('')).toBe(result.text);
      expect(parseCommandAnswer(result.text, result.stopReason).command.length).toBeGreaterThan(0);
    } finally {
      await backend.dispose();
    }
  });
});
