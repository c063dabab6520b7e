// What kind of model a path holds, checked in one place before any engine reads it: a GGUF
// file (llama.cpp) or an MLX model folder (config.json and safetensors files).

import fs from 'node:fs';
import path from 'node:path';

import { CmdaiError } from '../errors';

export type ModelFormat = 'gguf' | 'mlx';

const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');

/** 'mlx' for a folder with config.json, 'gguf' for a .gguf name or a file, else undefined; never throws. */
export function modelFormatOf(modelPath: string | undefined): ModelFormat | undefined {
  if (!modelPath) return undefined;
  try {
    const stat = fs.statSync(modelPath);
    if (stat.isDirectory()) return fs.existsSync(path.join(modelPath, 'config.json')) ? 'mlx' : undefined;
  } catch {
    // A path that does not exist yet is judged by its name.
  }
  return /\.gguf$/i.test(modelPath) ? 'gguf' : undefined;
}

function statOrMissing(modelPath: string, missing: () => CmdaiError): fs.Stats {
  try {
    return fs.statSync(modelPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw new CmdaiError('MODEL_INVALID', `Cannot read model file ${modelPath}: ${(err as Error).message}`);
  }
}

const MLX_FOLDER_HINT = 'Point cmdai at an MLX model folder (config.json, model*.safetensors, tokenizer.json), e.g. one from mlx-community.';

/**
 * Fails early, with a message a user can act on, for paths the engine would reject anyway: a
 * missing path (MODEL_MISSING), or one that is not a model in `format` (MODEL_INVALID).
 */
export function checkModelPath(modelPath: string, format: ModelFormat): void {
  if (format === 'mlx') {
    const stat = statOrMissing(
      modelPath,
      () => new CmdaiError('MODEL_MISSING', `No model at ${modelPath}: the path does not exist.`, { hint: 'Check the path, or download the model first (cmdai models).' }),
    );
    if (!stat.isDirectory()) {
      if (/\.gguf$/i.test(modelPath)) {
        throw new CmdaiError('MODEL_INVALID', `${modelPath} is a GGUF file, but the MLX engine reads MLX model folders.`, {
          hint: 'Use the llama.cpp engine for GGUF files, or give an MLX model folder.',
        });
      }
      throw new CmdaiError('MODEL_INVALID', `${modelPath} is a file, not an MLX model folder.`, { hint: MLX_FOLDER_HINT });
    }
    if (!fs.existsSync(path.join(modelPath, 'config.json'))) {
      throw new CmdaiError('MODEL_INVALID', `${modelPath} is not an MLX model folder: it has no config.json.`, { hint: MLX_FOLDER_HINT });
    }
    return;
  }
  const stat = statOrMissing(
    modelPath,
    () => new CmdaiError('MODEL_MISSING', `Model file not found: ${modelPath}`, { hint: 'Check the path, or download the model first.' }),
  );
  if (stat.isDirectory()) {
    throw new CmdaiError('MODEL_INVALID', `${modelPath} is a directory, not a GGUF model file.`, {
      hint: 'Pass the path of the .gguf file inside it.',
    });
  }
  const head = Buffer.alloc(4);
  const fd = fs.openSync(modelPath, 'r');
  let read: number;
  try {
    read = fs.readSync(fd, head, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (read < 4 || !head.equals(GGUF_MAGIC)) {
    throw new CmdaiError('MODEL_INVALID', `${modelPath} is not a GGUF model file (it does not start with "GGUF").`, {
      hint: 'cmdai runs llama.cpp models in GGUF format; download or convert one.',
    });
  }
}
