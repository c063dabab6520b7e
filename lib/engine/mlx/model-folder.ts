// Reading an mlx-community model folder before any native code sees it: config.json, the
// safetensors files and their headers. Every problem becomes a message naming the file and
// what to do, so the native side only ever gets folders that look whole.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError } from '../../errors';
import { checkModelPath } from '../model-path';
import type { NativeQwen2Config } from './binding';

export const SUPPORTED_ARCHITECTURES = ['qwen2'];

export interface ModelFolder {
  dir: string;
  config: NativeQwen2Config;
  /** config.json as read, for fields the engine passes on (eos ids, context length). */
  raw: Record<string, unknown>;
  weightFiles: string[];
  sizeBytes: number;
  trainContextSize: number;
  name: string;
}

function invalid(message: string, hint: string): CmdaiError {
  return new CmdaiError('MODEL_INVALID', message, { hint });
}


export function readModelFolder(modelPath: string): ModelFolder {
  const dir = path.resolve(modelPath);
  checkModelPath(dir, 'mlx');
  const configFile = path.join(dir, 'config.json');
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it is not a JSON object');
    raw = parsed as Record<string, unknown>;
  } catch (err) {
    throw invalid(`${configFile} is not valid JSON (${(err as Error).message}).`, 'Download the model folder again.');
  }

  const modelType = String(raw.model_type ?? '');
  if (!SUPPORTED_ARCHITECTURES.includes(modelType)) {
    throw invalid(
      `${dir} holds a "${modelType || 'unknown'}" model; the MLX engine runs ${SUPPORTED_ARCHITECTURES.join(', ')} models only.`,
      'Choose a Qwen2 / Qwen2.5 model folder, or use the llama.cpp engine with a GGUF file.',
    );
  }

  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw invalid(`${configFile} needs a positive integer "${key}", found ${JSON.stringify(raw[key])}.`, 'Download the model folder again.');
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${configFile}: "${key}" must be a number.`, 'Download the model folder again.');
    return v;
  };
  const heads = int('num_attention_heads');
  const hidden = int('hidden_size');
  if (hidden % heads !== 0) throw invalid(`${configFile}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads}.`, 'Download the model folder again.');

  const quantization = raw.quantization as { group_size?: number; bits?: number; mode?: string } | undefined;
  if (quantization && quantization.mode && quantization.mode !== 'affine') {
    throw invalid(`${configFile}: quantization mode "${quantization.mode}" is not supported (only "affine").`, 'Use a 4-bit or 8-bit affine MLX model.');
  }
  const config: NativeQwen2Config = {
    hidden_size: hidden,
    intermediate_size: int('intermediate_size'),
    num_hidden_layers: int('num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: int('num_key_value_heads', heads),
    vocab_size: int('vocab_size'),
    rms_norm_eps: num('rms_norm_eps', 1e-6),
    rope_theta: num('rope_theta', 1_000_000),
    tie_word_embeddings: raw.tie_word_embeddings !== false,
    quantization_group_size: quantization?.group_size ?? 64,
    quantization_bits: quantization?.bits ?? 0,
  };
  if (config.quantization_bits && ![2, 3, 4, 5, 6, 8].includes(config.quantization_bits)) {
    throw invalid(`${configFile}: ${config.quantization_bits}-bit quantization is not supported.`, 'Use a 4-bit or 8-bit MLX model.');
  }

  const weightFiles = fs
    .readdirSync(dir)
    .filter((f) => /^model.*\.safetensors$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  if (weightFiles.length === 0) throw invalid(`${dir} has no model*.safetensors weights.`, 'Download the whole model folder, weights included.');
  let sizeBytes = 0;
  for (const f of weightFiles) sizeBytes += checkSafetensors(f);

  return {
    dir,
    config,
    raw,
    weightFiles,
    sizeBytes,
    trainContextSize: typeof raw.max_position_embeddings === 'number' ? raw.max_position_embeddings : 32768,
    name: path.basename(dir),
  };
}

/** Checks a safetensors header against the file's size (catches truncated downloads); returns the size. */
export function checkSafetensors(file: string): number {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) !== 8) {
      throw invalid(`${file} is not a safetensors file: it is only ${size} bytes.`, 'Download the model folder again.');
    }
    const headerLength = Number(head.readBigUInt64LE(0));
    if (headerLength <= 1 || headerLength > 100 * 2 ** 20 || 8 + headerLength > size) {
      throw invalid(`${file} is not a safetensors file (or it is cut short): its header length field says ${headerLength} bytes.`, 'Download the model folder again.');
    }
    const headerBytes = Buffer.alloc(headerLength);
    fs.readSync(fd, headerBytes, 0, headerLength, 8);
    let header: Record<string, { data_offsets?: [number, number] }>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as typeof header;
    } catch {
      throw invalid(`${file} is not a safetensors file: its header is not JSON.`, 'Download the model folder again.');
    }
    let end = 0;
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      end = Math.max(end, entry.data_offsets?.[1] ?? 0);
    }
    const expected = 8 + headerLength + end;
    if (size < expected) {
      throw invalid(`${file} is truncated: it has ${size} bytes but its header describes ${expected}.`, 'The download was cut short; download the model folder again.');
    }
    return size;
  } finally {
    fs.closeSync(fd);
  }
}

/** The ids that end an answer: config.json, generation_config.json and the tokenizer's eos token. */
export function endTokenIds(folder: ModelFolder, eosFromTokenizer: number | undefined): number[] {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number') ids.add(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  add(folder.raw.eos_token_id);
  const generationConfig = path.join(folder.dir, 'generation_config.json');
  if (fs.existsSync(generationConfig)) {
    try {
      add((JSON.parse(fs.readFileSync(generationConfig, 'utf8')) as { eos_token_id?: unknown }).eos_token_id);
    } catch {
      // Optional file; config.json's ids still apply.
    }
  }
  add(eosFromTokenizer);
  return [...ids];
}
