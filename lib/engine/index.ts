// `cmdai/engine`: in-process engines behind one `Model` interface. loadModel() runs GGUF files on
// llama.cpp; loadMlxModel() runs MLX model folders on MLX; loadEngineModel() takes the engine by
// name. Each Model tokenizes, applies the model's chat template and completes prompts, with
// streaming, stop strings and constrained output. Behaviour spec: specs/engine.md, specs/mlx.md.

import { loadLlamaModel } from './llama';
import { loadMlxModel } from './mlx/model';
import type { EngineName, LoadModelOptions, Model } from './types';

export type * from './types';
export { ENGINE_NAMES } from './types';
export { EngineAbortError, ENGINE_DEFAULTS } from './model-core';
export { jsonSchemaToGrammar } from './llama';
export { loadMlxModel } from './mlx/model';
export { chooseEmbeddedEngine, type EngineChoice, type EngineChoiceInput } from './select';
export { modelFormatOf, type ModelFormat } from './model-path';

/**
 * Loads a GGUF model on llama.cpp and creates its inference context. Rejects with CmdaiError
 * MODEL_MISSING / MODEL_INVALID / USAGE, or an AbortError when `opts.signal` fires.
 */
export function loadModel(modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  return loadLlamaModel(modelPath, opts);
}

/** Loads a model on the named engine: a GGUF file on 'llama.cpp', an MLX model folder on 'mlx'. */
export function loadEngineModel(engine: EngineName, modelPath: string, opts: LoadModelOptions = {}): Promise<Model> {
  return engine === 'mlx' ? loadMlxModel(modelPath, opts) : loadLlamaModel(modelPath, opts);
}
