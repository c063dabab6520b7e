// Where the engine tests find their models, and small file makers for bad-input tests.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const tinyModelPath = path.join(repoRoot, 'models', 'test', 'tiny-qwen2.gguf');

/** The tiny random-weight Qwen2 test model; fails (never skips) when it has not been generated. */
export function tinyModel(): string {
  if (!fs.existsSync(tinyModelPath)) {
    throw new Error(`${path.relative(repoRoot, tinyModelPath)} is missing; run \`npm run fixtures\` first.`);
  }
  return tinyModelPath;
}

export const perfModelPath = path.join(repoRoot, 'models', 'test', 'perf-qwen2.5-coder-1.5b-q4_k_m.gguf');

/** The ~1 GB performance fixture: big enough that a load is still running when we act on it. */
export function perfModel(): string {
  if (!fs.existsSync(perfModelPath)) {
    throw new Error(`${path.relative(repoRoot, perfModelPath)} is missing; run \`npm run fixtures -- --perf\` first.`);
  }
  return perfModelPath;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-engine-test-'));
}

/**
 * A GGUF v3 file holding only string metadata and no tensors: enough for llama.cpp to read the
 * header and reject the model for what the metadata says.
 */
export function writeMetadataOnlyGguf(file: string, metadata: Record<string, string>): void {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const str = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    u64(bytes.length);
    parts.push(bytes);
  };
  const GGUF_TYPE_STRING = 8;
  parts.push(Buffer.from('GGUF', 'latin1'));
  u32(3); // version
  u64(0); // tensors
  u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    str(key);
    u32(GGUF_TYPE_STRING);
    str(value);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}
