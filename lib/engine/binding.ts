// The raw native addon (native/llama/*.cpp), typed. Nothing outside lib/engine should need this
// file; the public API is lib/engine/index.ts.

import fs from 'node:fs';
import path from 'node:path';

import { BackendUnavailableError, CmdaiError } from '../errors';
import type { CompleteOptions, Completion, Timings } from './types';

export interface NativeModelInfo {
  architecture: string;
  name: string;
  description: string;
  parameters: number;
  sizeBytes: number;
  trainContextSize: number;
  vocabSize: number;
  chatTemplate: string | null;
}

export interface NativeLoadOptions {
  useMmap?: boolean;
  repackWeights?: boolean;
  vocabOnly?: boolean;
}

export interface NativeLlamaModel {
  /** Loads the weights off the JS thread; `onProgress` gets fractions 0..1. */
  load(path: string, options: NativeLoadOptions, onProgress?: (fraction: number) => void): Promise<{ loadMs: number }>;
  /** Makes a running load() reject with code ABORTED. */
  abortLoad(): void;
  info(): NativeModelInfo;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array | number[], renderSpecial: boolean): string;
  applyChatTemplate(messages: { role: string; content: string }[], addAssistant: boolean): string;
  /** Throws while loading. Contexts created from the model keep the weights until they go. */
  dispose(): void;
}

export interface NativeContextOptions {
  contextSize: number;
  batchSize: number;
  threads: number;
}

/** The public sampling options as they reach C++; `grammar` is GBNF with a `root` rule. */
export interface NativeCompleteOptions
  extends Pick<CompleteOptions, 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'repeatPenalty' | 'grammar' | 'stop'> {
  maxTokens: number;
  repeatLastN?: number;
  /** Number of leading prompt tokens forming the reusable prefix. */
  prefixLength?: number;
  prefixCacheFile?: string;
  /** Number of trailing prompt tokens that are the forced start of the answer (answerPrefix). */
  answerLength?: number;
}

/** A Completion as C++ returns it: the tokens typed, no load time (the TypeScript side adds it). */
export interface NativeCompletion extends Pick<Completion, 'text' | 'stopReason'> {
  tokens: Int32Array;
  prefixSource: NonNullable<Completion['prefixSource']>;
  /** Why an existing prefix cache file was not used (corrupt); absent otherwise. */
  prefixFileProblem?: string;
  /** Why the prefix cache file could not be written; absent when it was (or was not due). */
  prefixSaveProblem?: string;
  timings: Omit<Timings, 'loadMs'>;
}

export interface NativeLlamaContext {
  init(options: NativeContextOptions): Promise<{ contextSize: number; batchSize: number; threads: number }>;
  /** One at a time per context; a concurrent call is rejected (code USAGE). */
  complete(tokens: Int32Array, options: NativeCompleteOptions, onText?: (text: string) => void): Promise<NativeCompletion>;
  /** Stops the running complete(): it resolves with stopReason 'abort'. */
  abort(): void;
  dispose(): void;
}

export interface NativeBinding {
  LlamaModel: new () => NativeLlamaModel;
  LlamaContext: new (model: NativeLlamaModel) => NativeLlamaContext;
  /** JSON Schema (as JSON text) to a GBNF grammar; throws (code USAGE) on schemas it cannot convert. */
  jsonSchemaToGrammar(schemaJson: string): string;
  /** The uid of the peer of a connected Unix socket; undefined where the OS cannot tell (Windows). */
  peerUid(fd: number): number | undefined;
  systemInfo(): { llamaVersion: string; system: string; supportsMmap: boolean; supportsGpuOffload: boolean };
  /** Hands the addon the class every error it raises is an instance of (called once, on load). */
  setErrorClass(errorClass: typeof CmdaiError): void;
}

// dist/engine/binding.js and lib/engine/binding.ts are both two levels below the package root.
export const packageRoot = path.resolve(__dirname, '..', '..');

let cached: NativeBinding | undefined;

/** The platform as prebuilds are chosen for it: "linux-arm64 (musl)", "win32-x64". */
function platformLabel(): string {
  const tag = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return tag;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `${tag} (${report?.header?.glibcVersionRuntime ? 'glibc' : 'musl'})`;
}

function notBuiltError(root: string, cause?: unknown): BackendUnavailableError {
  return new BackendUnavailableError(
    `The embedded engine has no prebuilt binary for ${platformLabel()}, and it has not been built from source here (no build/Release/cmdai.node).`,
    {
      hint: `Run \`npm run build:native\` in ${root} (needs CMake, git and a C++ compiler); the remote backends (--backend ollama or openai) work without it.`,
      cause,
    },
  );
}

/**
 * How many times an idle OpenMP worker (llama.cpp's CPU threads, libgomp) polls before it sleeps.
 * libgomp's default polls for a long time (hundreds of microseconds) so that a thread is awake the
 * instant the next operation starts; on a machine whose cores are busy with other work that
 * polling takes the core from the thread being waited for, and a request runs many times slower
 * (measured by `npm run bench -- ttc`, "OpenMP waiting"). A short poll keeps almost all of the
 * quick hand-over on an idle machine and yields at once on a busy one. A user's own
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT is left alone. It must be set before libgomp loads.
 */
export const OPENMP_SPIN_COUNT = '10000';

function settleOpenMpWaiting(env: NodeJS.ProcessEnv = process.env): void {
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.GOMP_SPINCOUNT = OPENMP_SPIN_COUNT;
}

/**
 * Loads build/Release/cmdai.node or prebuilds/<platform>-<arch>/ (first use only). `root` is
 * the package root; tests pass another one to see what a user without a build is told.
 */
export function loadBinding(root: string = packageRoot): NativeBinding {
  if (cached && root === packageRoot) return cached;
  const platformTag = `${process.platform}-${process.arch}`;
  const hasBuild = fs.existsSync(path.join(root, 'build', 'Release', 'cmdai.node'));
  const hasPrebuild = fs.existsSync(path.join(root, 'prebuilds', platformTag));
  if (!hasBuild && !hasPrebuild) throw notBuiltError(root);
  let binding: NativeBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-gyp-build ships no type declarations; loaded with the addon, not before
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    settleOpenMpWaiting();
    binding = nodeGypBuild(root) as NativeBinding;
    binding.setErrorClass(CmdaiError);
  } catch (err) {
    // A prebuild folder for this platform and architecture, but not for this C library (musl).
    if (!hasBuild && /No native build was found/.test((err as Error).message)) throw notBuiltError(root, err);
    throw new BackendUnavailableError(`The embedded engine's native addon failed to load: ${(err as Error).message}`, {
      hint: `Rebuild it with \`npm run build:native\` in ${root}.`,
      cause: err,
    });
  }
  if (root === packageRoot) cached = binding;
  return binding;
}
