// Writes one random-weight Qwen2 in three forms, for the MLX engine's tests and bench:
//   models/test/mlx-tiny-qwen2/        MLX model folder, float32 weights
//   models/test/mlx-tiny-qwen2-4bit/   MLX model folder, 4-bit affine quantized (group size 64)
//   models/test/mlx-tiny-qwen2.gguf    the same float32 weights as a GGUF, for the llama.cpp engine
// Each folder holds config.json, model.safetensors, tokenizer.json (derived from the Qwen2
// vocabulary in deps/llama.cpp/models/ggml-vocab-qwen2.gguf) and tokenizer_config.json with the
// chat template. The weights are meaningless; the architecture, layout and vocabulary are real.
//
// Usage: npm run fixtures:mlx  [-- --force]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { GgmlType, GgufValueType, readGgufHeader, scalarOf } from './gguf';
import { TINY_SHAPE, makeModel, qwen2Tensors, toFloat16Bits, type Qwen2Shape as TestModelShape } from './make-test-models';

// Works both from scripts/ (ts-jest) and from the compiled copy under build/scripts/.
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'scripts', 'make-mlx-fixture.ts'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the cmdai repository above ${from}`);
  }
}
const repoRoot = findRepoRoot(__dirname);

export function llamaCppDir(root = repoRoot): string {
  return process.env.LLAMA_CPP_DIR || path.join(root, 'deps', 'llama.cpp');
}

export function qwen2VocabGguf(root = repoRoot): string {
  return path.join(llamaCppDir(root), 'models', 'ggml-vocab-qwen2.gguf');
}

export const QUANT_GROUP_SIZE = 64;
export const QUANT_BITS = 4;
// The seed make-test-models.ts uses by default, so the MLX model has tiny-qwen2.gguf's weights.
export const FIXTURE_SEED = 1;

// ---------------------------------------------------------------------------------------------
// Tokenizer: the GGUF vocabulary rewritten as a Hugging Face tokenizer.json

// The pre-tokenizer split of Qwen2's own tokenizer.json (llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2).
const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// llama_token_type values stored in tokenizer.ggml.token_type.
const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_CONTROL = 3;

export interface DerivedTokenizer {
  tokenizerJson: object;
  tokenizerConfig: object;
  chatTemplate: string;
  eosTokenId: number;
  imEndTokenId: number;
  vocabSize: number;
}

export function deriveQwen2Tokenizer(vocabGguf = qwen2VocabGguf()): DerivedTokenizer {
  const gguf = readGgufHeader(vocabGguf);
  const arrayOf = (key: string) => {
    const v = gguf.metadata.get(key);
    if (!v || v.type !== GgufValueType.ARRAY) throw new Error(`${vocabGguf} has no ${key} array`);
    return v.items;
  };
  const tokens = arrayOf('tokenizer.ggml.tokens') as string[];
  const types = arrayOf('tokenizer.ggml.token_type') as number[];
  const merges = arrayOf('tokenizer.ggml.merges') as string[];
  const chatTemplate = String(scalarOf(gguf.metadata, 'tokenizer.chat_template') ?? '');
  const eosTokenId = Number(scalarOf(gguf.metadata, 'tokenizer.ggml.eos_token_id'));

  const vocab: Record<string, number> = {};
  const addedTokens: object[] = [];
  tokens.forEach((text, id) => {
    if (types[id] === TOKEN_TYPE_NORMAL) {
      vocab[text] = id;
      return;
    }
    // Control tokens (<|im_start|> ...) and user-defined padding tokens are matched whole,
    // before the BPE model sees the text, exactly as llama.cpp does.
    addedTokens.push({
      id,
      content: text,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: types[id] === TOKEN_TYPE_CONTROL,
    });
  });
  const imEndTokenId = tokens.indexOf('<|im_end|>');

  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    add_bos_token: false,
    add_prefix_space: false,
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: 32768,
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    chat_template: chatTemplate,
  };
  return { tokenizerJson, tokenizerConfig, chatTemplate, eosTokenId, imEndTokenId, vocabSize: tokens.length };
}

// ---------------------------------------------------------------------------------------------
// Weights

// The weights are the ones scripts/make-test-models.ts draws for its tiny model (same shape,
// seed and generator), materialized as float32 and renamed from GGUF to Hugging Face names.
const GGUF_TO_HF: Array<[RegExp, string]> = [
  [/^token_embd\.weight$/, 'model.embed_tokens.weight'],
  [/^output_norm\.weight$/, 'model.norm.weight'],
  [/^output\.weight$/, 'lm_head.weight'],
  [/^blk\.(\d+)\.attn_norm\.weight$/, 'model.layers.$1.input_layernorm.weight'],
  [/^blk\.(\d+)\.ffn_norm\.weight$/, 'model.layers.$1.post_attention_layernorm.weight'],
  [/^blk\.(\d+)\.attn_q\.(weight|bias)$/, 'model.layers.$1.self_attn.q_proj.$2'],
  [/^blk\.(\d+)\.attn_k\.(weight|bias)$/, 'model.layers.$1.self_attn.k_proj.$2'],
  [/^blk\.(\d+)\.attn_v\.(weight|bias)$/, 'model.layers.$1.self_attn.v_proj.$2'],
  [/^blk\.(\d+)\.attn_output\.weight$/, 'model.layers.$1.self_attn.o_proj.weight'],
  [/^blk\.(\d+)\.ffn_gate\.weight$/, 'model.layers.$1.mlp.gate_proj.weight'],
  [/^blk\.(\d+)\.ffn_up\.weight$/, 'model.layers.$1.mlp.up_proj.weight'],
  [/^blk\.(\d+)\.ffn_down\.weight$/, 'model.layers.$1.mlp.down_proj.weight'],
];

export function hfNameOf(ggufName: string): string {
  for (const [pattern, replacement] of GGUF_TO_HF) {
    if (pattern.test(ggufName)) return ggufName.replace(pattern, replacement);
  }
  throw new Error(`no Hugging Face name for GGUF tensor ${ggufName}`);
}

/** One weight in Hugging Face naming and row-major [out, in] shape. */
export interface NamedWeight {
  hfName: string;
  /** Row-major shape as in safetensors (the GGUF dims reversed). */
  shape: number[];
  data: Float32Array;
  /** Linear and embedding matrices are quantized; norms and biases stay float. */
  quantizable: boolean;
}

export function makeQwen2Weights(shape: TestModelShape, vocabSize: number, seed: number): NamedWeight[] {
  return qwen2Tensors(shape, vocabSize, GgmlType.F32, seed).map((t) => {
    const count = t.dims.reduce((a, b) => a * b, 1);
    const bytes = Buffer.alloc(count * 4);
    t.fill(bytes, 0);
    return {
      hfName: hfNameOf(t.name),
      shape: [...t.dims].reverse(),
      data: new Float32Array(bytes.buffer, bytes.byteOffset, count),
      quantizable: t.dims.length === 2,
    };
  });
}

/**
 * MLX's affine quantization of a row-major matrix along its rows: each group of `groupSize`
 * values becomes `bits`-bit codes q with w ≈ scale * q + bias; codes are packed little-end
 * first into uint32 words.
 */
export function quantizeAffine(w: NamedWeight, groupSize = QUANT_GROUP_SIZE, bits = QUANT_BITS) {
  const [rows, cols] = w.shape;
  if (cols % groupSize !== 0) throw new Error(`${w.hfName}: ${cols} columns is not a multiple of ${groupSize}`);
  const levels = (1 << bits) - 1;
  const perWord = 32 / bits;
  const groups = cols / groupSize;
  const packed = new Uint32Array((rows * cols) / perWord);
  const scales = new Float32Array(rows * groups);
  const biases = new Float32Array(rows * groups);
  for (let g = 0; g < rows * groups; g++) {
    const start = g * groupSize;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < groupSize; i++) { const v = w.data[start + i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    // Scales and biases are stored as float16; quantize against the rounded values.
    const scale = toHalfPrecision(Math.max((hi - lo) / levels, 1e-8));
    const bias = toHalfPrecision(lo);
    scales[g] = scale;
    biases[g] = bias;
    for (let i = 0; i < groupSize; i++) {
      const q = Math.min(levels, Math.max(0, Math.round((w.data[start + i] - bias) / scale)));
      const at = start + i;
      packed[Math.floor(at / perWord)] |= q << ((at % perWord) * bits);
    }
  }
  return {
    weight: { shape: [rows, cols / perWord], dtype: 'U32' as const, bytes: Buffer.from(packed.buffer) },
    scales: { shape: [rows, groups], dtype: 'F16' as const, bytes: halfBytes(scales) },
    biases: { shape: [rows, groups], dtype: 'F16' as const, bytes: halfBytes(biases) },
  };
}

function toHalfPrecision(v: number): number {
  const h = toFloat16Bits(v);
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  return exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function halfBytes(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(toFloat16Bits(values[i]), i * 2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Files

interface SafetensorsEntry { name: string; dtype: 'F32' | 'F16' | 'U32'; shape: number[]; bytes: Buffer }

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.partial`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** safetensors: u64 header length, JSON header (offsets relative to the data), data. */
export function writeSafetensors(file: string, entries: SafetensorsEntry[], metadata: Record<string, string>): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.${process.pid}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const e of entries) fs.writeSync(fd, e.bytes);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** config.json as mlx-lm writes it for a Qwen2 checkpoint. */
function configJson(shape: TestModelShape, vocabSize: number, tok: DerivedTokenizer, quantized: boolean): object {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_act: 'silu',
    hidden_size: shape.embeddingLength,
    intermediate_size: shape.feedForwardLength,
    num_hidden_layers: shape.blockCount,
    num_attention_heads: shape.headCount,
    num_key_value_heads: shape.headCountKv,
    max_position_embeddings: shape.contextLength,
    rms_norm_eps: shape.rmsNormEps,
    rope_theta: shape.ropeFreqBase,
    vocab_size: vocabSize,
    tie_word_embeddings: true,
    bos_token_id: tok.eosTokenId,
    eos_token_id: tok.imEndTokenId,
    torch_dtype: 'float32',
    ...(quantized ? { quantization: { group_size: QUANT_GROUP_SIZE, bits: QUANT_BITS, mode: 'affine' } } : {}),
  };
}

function writeMlxFolder(dir: string, shape: TestModelShape, vocabSize: number, weights: NamedWeight[], tok: DerivedTokenizer, quantized: boolean) {
  fs.mkdirSync(dir, { recursive: true });
  const entries: SafetensorsEntry[] = [];
  for (const w of weights) {
    if (quantized && w.quantizable) {
      const q = quantizeAffine(w);
      const base = w.hfName.replace(/\.weight$/, '');
      entries.push({ name: `${base}.weight`, ...q.weight });
      entries.push({ name: `${base}.scales`, ...q.scales });
      entries.push({ name: `${base}.biases`, ...q.biases });
    } else {
      entries.push({ name: w.hfName, dtype: 'F32', shape: w.shape, bytes: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength) });
    }
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  // Each file appears whole (written aside, then renamed), and the weights last: test workers
  // generating at the same time never read a half-written folder.
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(configJson(shape, vocabSize, tok, quantized), null, 2));
  writeFileAtomic(path.join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJson));
  writeFileAtomic(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig, null, 2));
  writeFileAtomic(
    path.join(dir, 'generation_config.json'),
    JSON.stringify({ eos_token_id: [tok.imEndTokenId, tok.eosTokenId], do_sample: false }, null, 2),
  );
  writeSafetensors(path.join(dir, 'model.safetensors'), entries, { format: 'mlx' });
}

export interface MlxFixturePaths {
  dir: string;
  quantizedDir: string;
  gguf: string;
}

export function mlxFixturePaths(root = repoRoot): MlxFixturePaths {
  const base = path.join(root, 'models', 'test');
  return {
    dir: path.join(base, 'mlx-tiny-qwen2'),
    quantizedDir: path.join(base, 'mlx-tiny-qwen2-4bit'),
    gguf: path.join(base, 'mlx-tiny-qwen2.gguf'),
  };
}

export function mlxFixturesExist(paths = mlxFixturePaths()): boolean {
  return [path.join(paths.dir, 'model.safetensors'), path.join(paths.quantizedDir, 'model.safetensors'), paths.gguf].every((f) =>
    fs.existsSync(f),
  );
}

export function makeMlxFixtures(paths = mlxFixturePaths(), shape = TINY_SHAPE, seed = FIXTURE_SEED): MlxFixturePaths {
  const vocabGguf = qwen2VocabGguf();
  if (!fs.existsSync(vocabGguf)) {
    throw new Error(`${vocabGguf} is missing: fetch the llama.cpp source first (node scripts/fetch-llama.js).`);
  }
  // The GGUF twin first: its chat template is the one the MLX folders carry too.
  makeModel(paths.gguf, shape, GgmlType.F32, seed);
  const twin = readGgufHeader(paths.gguf).metadata;
  const tok = deriveQwen2Tokenizer(vocabGguf);
  const template = scalarOf(twin, 'tokenizer.chat_template');
  if (typeof template === 'string') {
    tok.chatTemplate = template;
    (tok.tokenizerConfig as { chat_template: string }).chat_template = template;
  }
  const vocabSize = tok.vocabSize;
  const weights = makeQwen2Weights(shape, vocabSize, seed);
  writeMlxFolder(paths.dir, shape, vocabSize, weights, tok, false);
  writeMlxFolder(paths.quantizedDir, shape, vocabSize, weights, tok, true);
  return paths;
}

if (require.main === module) {
  const force = process.argv.includes('--force');
  const paths = mlxFixturePaths();
  try {
    if (!force && mlxFixturesExist(paths)) {
      console.log(`MLX fixtures already present in ${path.dirname(paths.dir)} (use --force to rewrite).`);
    } else {
      const started = Date.now();
      makeMlxFixtures(paths);
      console.log(`wrote ${paths.dir} and ${paths.quantizedDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    console.error(`make-mlx-fixture: ${(err as Error).message}`);
    process.exit(1);
  }
}
