// Which embedded engine runs a model: MLX on Apple Silicon, llama.cpp everywhere else, unless
// the configuration says otherwise. The answer carries its reason, for `cmdai doctor`.
import { CmdaiError } from '../errors';
import { modelFormatOf } from './model-path';
import { loadMlxAddon } from './mlx/binding';
import type { EngineName, EnginePreference } from './types';

export interface EngineChoice {
  engine: EngineName;
  /** One line for `cmdai doctor`: which engine and why. */
  reason: string;
}

export interface EngineChoiceInput {
  preference?: EnginePreference;
  /** The model about to be loaded: a GGUF file only runs on llama.cpp, an MLX folder only on MLX. */
  modelPath?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Null when the MLX addon loads, else why not (defaults to actually trying it). */
  mlxUnavailable?: string | null;
}

export function chooseEmbeddedEngine(input: EngineChoiceInput = {}): EngineChoice {
  const preference = input.preference ?? 'auto';
  const platform = input.platform ?? process.platform;
  const arch = input.arch ?? process.arch;
  const where = `${platform}-${arch}`;
  const mlxUnavailable = input.mlxUnavailable !== undefined ? input.mlxUnavailable : (() => {
    const lookup = loadMlxAddon();
    return lookup.addon ? null : lookup.reason;
  })();
  const format = modelFormatOf(input.modelPath);

  if (preference === 'llama.cpp') {
    if (format === 'mlx') throw mismatch('llama.cpp', input.modelPath!, 'an MLX model folder', 'a GGUF file');
    return { engine: 'llama.cpp', reason: 'llama.cpp, as configured (engine = "llama.cpp")' };
  }
  if (preference === 'mlx') {
    if (mlxUnavailable) {
      throw new CmdaiError('BACKEND_UNAVAILABLE', `The configuration asks for the MLX engine, but ${mlxUnavailable}`, {
        hint: 'Set engine = "auto" (or "llama.cpp") to use llama.cpp instead.',
      });
    }
    if (format === 'gguf') throw mismatch('MLX', input.modelPath!, 'a GGUF file', 'an MLX model folder');
    return { engine: 'mlx', reason: 'MLX, as configured (engine = "mlx")' };
  }

  // auto
  if (format === 'gguf') return { engine: 'llama.cpp', reason: 'llama.cpp: the model is a GGUF file' };
  if (format === 'mlx') {
    if (mlxUnavailable) {
      throw new CmdaiError('BACKEND_UNAVAILABLE', `${input.modelPath} is an MLX model folder, but ${mlxUnavailable}`, {
        hint: 'Use a GGUF model with the llama.cpp engine, or build the MLX engine (specs/mlx.md).',
      });
    }
    return { engine: 'mlx', reason: 'MLX: the model is an MLX model folder' };
  }
  if (platform === 'darwin' && arch === 'arm64') {
    if (mlxUnavailable) return { engine: 'llama.cpp', reason: `llama.cpp: ${where} would use MLX, but ${mlxUnavailable}` };
    return { engine: 'mlx', reason: `MLX: ${where} (Apple Silicon), where MLX runs on the Metal GPU` };
  }
  return { engine: 'llama.cpp', reason: `llama.cpp: the default on ${where} (MLX is the default only on darwin-arm64)` };
}

function mismatch(engine: string, modelPath: string, is: string, needs: string): CmdaiError {
  return new CmdaiError('USAGE', `${modelPath} is ${is}, which the ${engine} engine cannot run (it needs ${needs}).`, {
    hint: 'Choose a model in the engine\'s format, or set engine = "auto".',
  });
}
