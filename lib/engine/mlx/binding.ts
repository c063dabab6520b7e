// The raw surface of cmdai_mlx.node (native/mlx/addon.cpp), typed in one place, and the loader
// that finds it. Everything above this file talks to `MlxModelHandle`, never to the addon itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError } from '../../errors';

/** config.json fields the native Qwen2 needs, plus the `quantization` block flattened. */
export interface NativeQwen2Config {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  quantization_group_size: number;
  /** 0: float weights. */
  quantization_bits: number;
}

export interface NativeLoadSpec {
  weightFiles: string[];
  config: NativeQwen2Config;
  contextSize: number;
  batchSize: number;
}

export interface NativeSampling {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  seed?: number;
}

export interface NativeGenerateOptions extends NativeSampling {
  maxTokens: number;
  endTokens: Int32Array;
}

export interface NativeGenerateResult {
  tokens: Int32Array;
  stopReason: 'eos' | 'length' | 'abort';
  promptMs: number;
  /** Prompt tokens whose state the previous sequence left in the KV cache (not recomputed). */
  cachedTokens: number;
  timeToFirstTokenMs: number;
  generationMs: number;
}

/** One loaded model and its native thread. Calls run in the order they were made. */
export interface MlxModelHandle {
  load(spec: NativeLoadSpec): Promise<{ parameters: number; weightBytes: number; loadMs: number }>;
  /** The whole generation loop natively; `onToken` gets each token id as it is sampled. */
  generate(jobId: number, prompt: Int32Array, options: NativeGenerateOptions, onToken?: (token: number) => void): Promise<NativeGenerateResult>;
  /** Starts a step-by-step sequence (constrained output): computes the prompt. */
  prefill(prompt: Int32Array, sampling: NativeSampling): Promise<{ promptMs: number; cachedTokens: number }>;
  /** Appends `feedToken` (if >= 0) and samples the next token among `allowed` (all if null); -1 if none. */
  step(feedToken: number, allowed: Int32Array | null): Promise<number>;
  /** Stops generation `jobId` at the next token (or before it starts). */
  abort(jobId: number): void;
  dispose(): Promise<void>;
  /** Aborts and ends the model's thread synchronously (for the process 'exit' event). */
  stopNow(): void;
}

export interface MlxAddon {
  MlxModel: new () => MlxModelHandle;
  /** Hands the addon the class every error it raises is an instance of (called once, on load). */
  setErrorClass(errorClass: typeof CmdaiError): void;
  engine: 'mlx';
  /** Where MLX computes: "gpu" (Metal) or "cpu". */
  device: 'gpu' | 'cpu';
}

export type MlxAddonLookup = { addon: MlxAddon; file: string } | { addon: null; reason: string };

const ADDON_FILE = 'cmdai_mlx.node';

function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..', '..');
  }
}

/** Where the addon may be: $CMDAI_MLX_ADDON, the local build, then the prebuild for this platform. */
export function mlxAddonCandidates(root = packageRoot()): string[] {
  const fromEnv = process.env.CMDAI_MLX_ADDON ? [path.resolve(process.env.CMDAI_MLX_ADDON)] : [];
  return [
    ...fromEnv,
    path.join(root, 'build', 'Release', ADDON_FILE),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, ADDON_FILE),
  ];
}

let cached: MlxAddonLookup | undefined;

/** Loads the MLX addon once; when it is absent or broken, says why and what to do. */
export function loadMlxAddon(): MlxAddonLookup {
  if (cached) return cached;
  const candidates = mlxAddonCandidates();
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    cached = {
      addon: null,
      reason:
        `the MLX engine is not built (looked for ${candidates.join(', ')}). ` +
        'Build MLX and point the native build at it: see specs/mlx.md, "Building".',
    };
    return cached;
  }
  // On Linux MLX's BLAS is OpenBLAS, which starts worker threads as it loads and joins them in
  // an exit handler; with a generation cut short by process.exit() that join can deadlock
  // (seen with Debian's OpenBLAS 0.3.21). With one BLAS thread there is nothing to join.
  // OpenBLAS reads the variable once, while loading, so it is restored right after: commands
  // cmdai runs later must not inherit it.
  const saved = process.env.OPENBLAS_NUM_THREADS;
  if (saved === undefined) process.env.OPENBLAS_NUM_THREADS = '1';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon whose path is known only at run time
    const addon = require(file) as MlxAddon;
    addon.setErrorClass(CmdaiError);
    cached = { addon, file };
  } catch (err) {
    cached = { addon: null, reason: `${file} could not be loaded: ${(err as Error).message}` };
  } finally {
    if (saved === undefined) delete process.env.OPENBLAS_NUM_THREADS;
  }
  return cached;
}
