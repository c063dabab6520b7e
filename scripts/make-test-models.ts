// Makes the project's own test models: GGUF files with the real Qwen2 architecture, the real
// Qwen2 vocabulary (copied from llama.cpp's ggml-vocab-qwen2.gguf) and seeded random weights.
//
//   npm run fixtures                 tiny model for tests  -> models/test/tiny-qwen2.gguf
//   npm run fixtures -- --perf       also the benchmark fixture with the exact shape of
//                                    Qwen2.5-Coder-1.5B-Instruct, quantized to Q4_K_M
//   options: --seed N (default 1), --force (rewrite even if the file exists)
//
// The text these models produce is meaningless; everything else about them (loading,
// tokenizing, chat template, sampling, speed) exercises llama.cpp exactly as a real model does.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  GgmlType,
  GgufValue,
  GgufValueType,
  TensorToWrite,
  readGgufHeader,
  writeGguf,
} from './gguf';

const repoRoot = findRepoRoot(__dirname);
const llamaCppDir = process.env.LLAMA_CPP_DIR
  ? path.resolve(process.env.LLAMA_CPP_DIR)
  : path.join(repoRoot, 'deps', 'llama.cpp');
const vocabFile = path.join(llamaCppDir, 'models', 'ggml-vocab-qwen2.gguf');
const toolsBin = path.join(repoRoot, 'deps', 'build-tools', 'bin');
const outDir = path.join(repoRoot, 'models', 'test');

export const TINY_MODEL = path.join(outDir, 'tiny-qwen2.gguf');
export const PERF_MODEL = path.join(outDir, 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf');

/** The hyperparameters llama.cpp's qwen2 loader reads (all under the `qwen2.` prefix). */
export interface Qwen2Shape {
  name: string;
  blockCount: number;
  embeddingLength: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  contextLength: number;
  ropeFreqBase: number;
  rmsNormEps: number;
}

export const TINY_SHAPE: Qwen2Shape = {
  name: 'cmdai tiny qwen2 (random weights)',
  blockCount: 2,
  embeddingLength: 64,
  feedForwardLength: 128,
  headCount: 4,
  headCountKv: 2,
  contextLength: 4096,
  ropeFreqBase: 1e6,
  rmsNormEps: 1e-6,
};

// Qwen2.5-Coder-1.5B-Instruct's config.json, one to one.
const PERF_SHAPE: Qwen2Shape = {
  name: 'cmdai perf fixture, Qwen2.5-Coder-1.5B-Instruct shape (random weights)',
  blockCount: 28,
  embeddingLength: 1536,
  feedForwardLength: 8960,
  headCount: 12,
  headCountKv: 2,
  contextLength: 32768,
  ropeFreqBase: 1e6,
  rmsNormEps: 1e-6,
};
const PERF_VOCAB_SIZE = 151936;

// Written for this project: ChatML as Qwen2.5 uses it, with a default system message when the
// conversation has none. llama.cpp recognises ChatML by the <|im_start|> marker.
const CHAT_TEMPLATE = [
  "{%- if messages and messages[0]['role'] == 'system' -%}",
  "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' -}}",
  '{%- else -%}',
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}",
  '{%- endif -%}',
  '{%- for message in messages -%}',
  "{%- if not (loop.first and message['role'] == 'system') -%}",
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}",
  '{%- endif -%}',
  '{%- endfor -%}',
  '{%- if add_generation_prompt -%}',
  "{{- '<|im_start|>assistant\\n' -}}",
  '{%- endif -%}',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Deterministic random weights

/** mulberry32: a tiny, fast 32-bit generator; good enough for weights nobody will read. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a, to give every tensor its own stream from (seed, name), independent of write order. */
function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// Drawing 1.5 billion normal numbers one by one is slow in JS, so each tensor draws from a table
// of 65536 standard-normal samples (Box-Muller) with two 16-bit indices per 32-bit random word.
const NORMAL_TABLE_SIZE = 1 << 16;
function standardNormalTable(seed: number): Float64Array {
  const next = mulberry32(hashSeed(seed, 'normal table'));
  const table = new Float64Array(NORMAL_TABLE_SIZE);
  for (let i = 0; i < NORMAL_TABLE_SIZE; i += 2) {
    const u1 = (next() + 1) / 4294967297; // in (0, 1), never 0 for the log
    const u2 = next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    table[i] = r * Math.cos(2 * Math.PI * u2);
    table[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return table;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);
/** IEEE half-precision bits of `value`, rounded to nearest even. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = f32Bits[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half; // a carry out of the mantissa correctly bumps the exponent
}

type Init = { kind: 'normal'; std: number } | { kind: 'constant'; value: number };

function tensor(name: string, dims: number[], type: GgmlType, init: Init, seed: number, normals: Float64Array): TensorToWrite {
  if (init.kind === 'constant') {
    const bits = toFloat16Bits(init.value);
    return {
      name, dims, type,
      fill: (out) => {
        if (type === GgmlType.F32) new Float32Array(out.buffer, out.byteOffset, out.length / 4).fill(init.value);
        else new Uint16Array(out.buffer, out.byteOffset, out.length / 2).fill(bits);
      },
    };
  }
  const next = mulberry32(hashSeed(seed, name));
  let expectedOffset = 0;
  return {
    name, dims, type,
    fill: (out, elementOffset) => {
      if (elementOffset !== expectedOffset) throw new Error(`${name}: data requested out of order`);
      if (type === GgmlType.F32) {
        const values = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
        for (let i = 0; i < values.length; i++) {
          values[i] = init.std * normals[next() & 0xffff];
        }
        expectedOffset += values.length;
      } else {
        const scaled = new Uint16Array(NORMAL_TABLE_SIZE);
        for (let i = 0; i < NORMAL_TABLE_SIZE; i++) scaled[i] = toFloat16Bits(init.std * normals[i]);
        const values = new Uint16Array(out.buffer, out.byteOffset, out.length / 2);
        const pairs = values.length & ~1;
        for (let i = 0; i < pairs; i += 2) {
          const r = next();
          values[i] = scaled[r & 0xffff];
          values[i + 1] = scaled[r >>> 16];
        }
        if (pairs < values.length) values[pairs] = scaled[next() & 0xffff];
        expectedOffset += values.length;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The model

export function qwen2Tensors(shape: Qwen2Shape, vocabSize: number, matrixType: GgmlType, seed: number): TensorToWrite[] {
  const normals = standardNormalTable(seed);
  const embd = shape.embeddingLength;
  const headDim = embd / shape.headCount;
  const kvDim = headDim * shape.headCountKv;
  const ff = shape.feedForwardLength;
  // Projections get std 1/sqrt(fan_in) so every residual branch adds about as much as the
  // embedding itself: activations stay finite, and the next token depends on the whole context
  // instead of echoing the last one. Token embeddings (tied to the output) get std 1, so logits
  // are well separated and greedy choices do not hinge on rounding.
  const proj = (fanIn: number): Init => ({ kind: 'normal', std: 1 / Math.sqrt(fanIn) });
  const bias: Init = { kind: 'normal', std: 0.02 };
  const ones: Init = { kind: 'constant', value: 1 };
  const t = (name: string, dims: number[], type: GgmlType, init: Init) => tensor(name, dims, type, init, seed, normals);

  const tensors: TensorToWrite[] = [t('token_embd.weight', [embd, vocabSize], matrixType, { kind: 'normal', std: 1 })];
  for (let i = 0; i < shape.blockCount; i++) {
    const b = `blk.${i}`;
    tensors.push(
      t(`${b}.attn_norm.weight`, [embd], GgmlType.F32, ones),
      t(`${b}.attn_q.weight`, [embd, embd], matrixType, proj(embd)),
      t(`${b}.attn_q.bias`, [embd], GgmlType.F32, bias),
      t(`${b}.attn_k.weight`, [embd, kvDim], matrixType, proj(embd)),
      t(`${b}.attn_k.bias`, [kvDim], GgmlType.F32, bias),
      t(`${b}.attn_v.weight`, [embd, kvDim], matrixType, proj(embd)),
      t(`${b}.attn_v.bias`, [kvDim], GgmlType.F32, bias),
      t(`${b}.attn_output.weight`, [embd, embd], matrixType, proj(embd)),
      t(`${b}.ffn_norm.weight`, [embd], GgmlType.F32, ones),
      t(`${b}.ffn_gate.weight`, [embd, ff], matrixType, proj(embd)),
      t(`${b}.ffn_up.weight`, [embd, ff], matrixType, proj(embd)),
      t(`${b}.ffn_down.weight`, [ff, embd], matrixType, proj(ff)),
    );
  }
  // No output.weight: Qwen2.5 up to 3B ties the output projection to token_embd.
  tensors.push(t('output_norm.weight', [embd], GgmlType.F32, { kind: 'normal', std: 1 }));
  return tensors;
}

const u32 = (value: number): GgufValue => ({ type: GgufValueType.UINT32, value });
const f32v = (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value });
const str = (value: string): GgufValue => ({ type: GgufValueType.STRING, value });
const bool = (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value });

function qwen2Metadata(shape: Qwen2Shape, vocab: Map<string, GgufValue>, matrixType: GgmlType, seed: number): Array<[string, GgufValue]> {
  const tokens = vocab.get('tokenizer.ggml.tokens');
  if (!tokens || tokens.type !== GgufValueType.ARRAY) throw new Error(`${vocabFile} has no tokenizer.ggml.tokens`);
  const idOf = (text: string): number => {
    const id = tokens.items.indexOf(text);
    if (id < 0) throw new Error(`${vocabFile} has no token ${text}`);
    return id;
  };

  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', str('qwen2')],
    ['general.type', str('model')],
    ['general.name', str(shape.name)],
    ['general.description', str(`Random weights (seed ${seed}) made by cmdai scripts/make-test-models.ts; not a trained model.`)],
    ['general.file_type', u32(matrixType === GgmlType.F16 ? 1 : 0)], // LLAMA_FTYPE_MOSTLY_F16 / ALL_F32
    ['qwen2.block_count', u32(shape.blockCount)],
    ['qwen2.context_length', u32(shape.contextLength)],
    ['qwen2.embedding_length', u32(shape.embeddingLength)],
    ['qwen2.feed_forward_length', u32(shape.feedForwardLength)],
    ['qwen2.attention.head_count', u32(shape.headCount)],
    ['qwen2.attention.head_count_kv', u32(shape.headCountKv)],
    ['qwen2.rope.freq_base', f32v(shape.ropeFreqBase)],
    ['qwen2.attention.layer_norm_rms_epsilon', f32v(shape.rmsNormEps)],
  ];
  // The whole tokenizer, copied as stored (model, pre-tokenizer, tokens, types, merges, ids)...
  for (const [key, value] of vocab) {
    if (key.startsWith('tokenizer.') && key !== 'tokenizer.chat_template') metadata.push([key, value]);
  }
  // ...with the special-token settings of the Instruct release: generation ends at <|im_end|>,
  // and no BOS is prepended.
  const overrides: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.eos_token_id', u32(idOf('<|im_end|>'))],
    ['tokenizer.ggml.padding_token_id', u32(idOf('<|endoftext|>'))],
    ['tokenizer.ggml.bos_token_id', u32(idOf('<|endoftext|>'))],
    ['tokenizer.ggml.add_bos_token', bool(false)],
    ['tokenizer.chat_template', str(CHAT_TEMPLATE)],
  ];
  for (const [key, value] of overrides) {
    const at = metadata.findIndex(([k]) => k === key);
    if (at >= 0) metadata[at] = [key, value];
    else metadata.push([key, value]);
  }
  return metadata;
}

function vocabularySize(vocab: Map<string, GgufValue>): number {
  const tokens = vocab.get('tokenizer.ggml.tokens');
  return tokens && tokens.type === GgufValueType.ARRAY ? tokens.items.length : 0;
}

export function makeModel(file: string, shape: Qwen2Shape, matrixType: GgmlType, seed: number): void {
  const vocab = readGgufHeader(vocabFile).metadata;
  const vocabSize = vocabularySize(vocab);
  const metadata = qwen2Metadata(shape, vocab, matrixType, seed);
  const tensors = qwen2Tensors(shape, vocabSize, matrixType, seed);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const started = Date.now();
  let lastReport = 0;
  writeGguf(file, metadata, tensors, (written, total) => {
    if (process.stdout.isTTY && Date.now() - lastReport > 1000) {
      lastReport = Date.now();
      process.stdout.write(`\r  ${(written / 2 ** 20).toFixed(0)} / ${(total / 2 ** 20).toFixed(0)} MiB`);
    }
  });
  if (process.stdout.isTTY) process.stdout.write('\r');
  const size = fs.statSync(file).size;
  console.log(`wrote ${path.relative(repoRoot, file)} (${(size / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function makePerfModel(seed: number): void {
  const quantize = path.join(toolsBin, 'llama-quantize');
  if (!fs.existsSync(quantize)) {
    fail(`${path.relative(repoRoot, quantize)} is missing; build the reference tools first: npm run build:tools`);
  }
  const vocabSize = vocabularySize(readGgufHeader(vocabFile).metadata);
  if (vocabSize !== PERF_VOCAB_SIZE) {
    fail(`${vocabFile} has ${vocabSize} tokens, expected ${PERF_VOCAB_SIZE} for the Qwen2.5 shape`);
  }
  const f16File = PERF_MODEL.replace(/q4_k_m\.gguf$/, 'f16.gguf');
  try {
    makeModel(f16File, PERF_SHAPE, GgmlType.F16, seed);
    const partial = `${PERF_MODEL}.partial`;
    const threads = String(Math.max(1, Math.min(2, os.availableParallelism())));
    console.log(`quantizing to Q4_K_M with ${path.relative(repoRoot, quantize)} ...`);
    const run = spawnSync(quantize, [f16File, partial, 'Q4_K_M', threads], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) {
      fs.rmSync(partial, { force: true });
      fail(`llama-quantize failed (exit ${run.status ?? run.signal}):\n${(run.stderr || run.stdout).split('\n').slice(-15).join('\n')}`);
    }
    fs.renameSync(partial, PERF_MODEL);
    console.log(`wrote ${path.relative(repoRoot, PERF_MODEL)} (${(fs.statSync(PERF_MODEL).size / 2 ** 20).toFixed(1)} MiB)`);
  } finally {
    fs.rmSync(f16File, { force: true });
  }
}

function fail(message: string): never {
  console.error(`make-test-models: ${message}`);
  process.exit(1);
}

/** The nearest folder above `dir` holding package.json, so this runs from scripts/ or build/. */
function findRepoRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

function main(argv: string[]): void {
  const args = new Set(argv);
  const known = new Set(['--perf', '--force', '--seed']);
  let seed = 1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seed') {
      seed = Number(argv[++i]);
      if (!Number.isInteger(seed) || seed < 0) fail(`--seed needs a non-negative integer, got ${argv[i]}`);
    } else if (!known.has(argv[i])) {
      fail(`unknown option ${argv[i]}; use --perf, --force or --seed N`);
    }
  }
  if (!fs.existsSync(vocabFile)) {
    fail(`${vocabFile} is missing; fetch the llama.cpp source first (node scripts/fetch-llama.js) or set LLAMA_CPP_DIR`);
  }
  const force = args.has('--force');
  if (force || !fs.existsSync(TINY_MODEL)) makeModel(TINY_MODEL, TINY_SHAPE, GgmlType.F16, seed);
  else console.log(`${path.relative(repoRoot, TINY_MODEL)} exists (use --force to rewrite)`);
  if (args.has('--perf')) {
    if (force || !fs.existsSync(PERF_MODEL)) makePerfModel(seed);
    else console.log(`${path.relative(repoRoot, PERF_MODEL)} exists (use --force to rewrite)`);
  }
}

if (require.main === module) main(process.argv.slice(2));
