// A small GGUF (version 3) reader and streaming writer, enough to copy a vocabulary out of one
// file and write a model with freshly generated weights into another.
// Format reference: ggml/include/gguf.h and docs/gguf.md in the llama.cpp source.

import * as fs from 'node:fs';

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, numbered as in gguf.h. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** The tensor element types this project writes (numbered as ggml_type). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
}

export type GgufScalar = number | bigint | boolean | string;

/** Buffer's little-endian accessor suffixes for the fixed-size value types (readUInt8, writeUInt8, ...). */
type Accessor = 'UInt8' | 'Int8' | 'UInt16LE' | 'Int16LE' | 'UInt32LE' | 'Int32LE' | 'FloatLE' | 'BigUInt64LE' | 'BigInt64LE' | 'DoubleLE';

/** Each fixed-size value type's byte size and accessor, for the reader and the writer alike; booleans are one byte. */
const FIXED_SIZE: Partial<Record<GgufValueType, { size: number; accessor: Accessor }>> = {
  [GgufValueType.UINT8]: { size: 1, accessor: 'UInt8' },
  [GgufValueType.INT8]: { size: 1, accessor: 'Int8' },
  [GgufValueType.UINT16]: { size: 2, accessor: 'UInt16LE' },
  [GgufValueType.INT16]: { size: 2, accessor: 'Int16LE' },
  [GgufValueType.UINT32]: { size: 4, accessor: 'UInt32LE' },
  [GgufValueType.INT32]: { size: 4, accessor: 'Int32LE' },
  [GgufValueType.FLOAT32]: { size: 4, accessor: 'FloatLE' },
  [GgufValueType.BOOL]: { size: 1, accessor: 'UInt8' },
  [GgufValueType.UINT64]: { size: 8, accessor: 'BigUInt64LE' },
  [GgufValueType.INT64]: { size: 8, accessor: 'BigInt64LE' },
  [GgufValueType.FLOAT64]: { size: 8, accessor: 'DoubleLE' },
};

function readFixed(buf: Buffer, type: GgufValueType, accessor: Accessor, at: number): GgufScalar {
  const value = (buf[`read${accessor}`] as (this: Buffer, offset: number) => number | bigint).call(buf, at);
  return type === GgufValueType.BOOL ? value !== 0 : value;
}

function writeFixed(buf: Buffer, accessor: Accessor, value: GgufScalar, at: number): void {
  const v = accessor.startsWith('Big') ? BigInt(value) : Number(value);
  (buf[`write${accessor}`] as (this: Buffer, value: number | bigint, offset: number) => number).call(buf, v, at);
}

/** A metadata value with its exact on-disk type, so a copied key round-trips byte for byte. */
export type GgufValue =
  | { type: Exclude<GgufValueType, GgufValueType.ARRAY>; value: GgufScalar }
  | { type: GgufValueType.ARRAY; itemType: GgufValueType; items: GgufScalar[] };

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the length of one row. */
  dims: number[];
  type: number;
  offset: bigint;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  dataOffset: number;
}

export class GgufFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file} is not a readable GGUF file: ${detail}`);
    this.name = 'GgufFormatError';
  }
}

class Cursor {
  offset = 0;
  constructor(private readonly buf: Buffer, private readonly file: string) {}

  private need(bytes: number): void {
    if (this.offset + bytes > this.buf.length) {
      throw new GgufFormatError(this.file, `unexpected end of file at byte ${this.offset}`);
    }
  }
  u32(): number { this.need(4); const v = this.buf.readUInt32LE(this.offset); this.offset += 4; return v; }
  u64(): bigint { this.need(8); const v = this.buf.readBigUInt64LE(this.offset); this.offset += 8; return v; }
  count(): number {
    const n = this.u64();
    if (n > BigInt(this.buf.length)) throw new GgufFormatError(this.file, `implausible count ${n} at byte ${this.offset - 8}`);
    return Number(n);
  }
  string(): string {
    const len = this.count();
    this.need(len);
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }
  scalar(type: GgufValueType): GgufScalar {
    if (type === GgufValueType.STRING) return this.string();
    const fixed = FIXED_SIZE[type];
    if (!fixed) throw new GgufFormatError(this.file, `unknown value type ${type} at byte ${this.offset}`);
    this.need(fixed.size);
    const value = readFixed(this.buf, type, fixed.accessor, this.offset);
    this.offset += fixed.size;
    return value;
  }
}

/** Reads the header (metadata and tensor directory) of a GGUF file; tensor data is not loaded. */
export function readGgufHeader(file: string): GgufFile {
  // Vocabulary files are a few MB, so reading the whole file is simpler than paging.
  const buf = fs.readFileSync(file);
  const cur = new Cursor(buf, file);
  if (buf.length < 4 || buf.toString('latin1', 0, 4) !== GGUF_MAGIC) {
    throw new GgufFormatError(file, 'it does not start with the GGUF magic');
  }
  cur.offset = 4;
  const version = cur.u32();
  if (version !== 2 && version !== 3) throw new GgufFormatError(file, `unsupported version ${version}`);
  const tensorCount = cur.count();
  const kvCount = cur.count();

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = cur.string();
    const type = cur.u32() as GgufValueType;
    if (type === GgufValueType.ARRAY) {
      const itemType = cur.u32() as GgufValueType;
      const n = cur.count();
      const items: GgufScalar[] = new Array(n);
      for (let j = 0; j < n; j++) items[j] = cur.scalar(itemType);
      metadata.set(key, { type, itemType, items });
    } else {
      metadata.set(key, { type, value: cur.scalar(type) });
    }
  }

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = cur.string();
    const nDims = cur.u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(Number(cur.u64()));
    const type = cur.u32();
    const offset = cur.u64();
    tensors.push({ name, dims, type, offset });
  }
  const alignment = Number(scalarOf(metadata, 'general.alignment') ?? GGUF_DEFAULT_ALIGNMENT);
  const dataOffset = alignUp(cur.offset, alignment);
  return { version, metadata, tensors, dataOffset };
}

export function scalarOf(metadata: Map<string, GgufValue>, key: string): GgufScalar | undefined {
  const v = metadata.get(key);
  return v && v.type !== GgufValueType.ARRAY ? v.value : undefined;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Grows a byte buffer as header fields are appended. */
class HeaderBuilder {
  private buf = Buffer.alloc(1 << 20);
  length = 0;

  private room(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  u32(v: number): void { this.room(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  u64(v: number | bigint): void { this.room(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.room(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  scalar(type: GgufValueType, v: GgufScalar): void {
    if (type === GgufValueType.STRING) return this.string(String(v));
    const fixed = FIXED_SIZE[type];
    if (!fixed) throw new Error(`cannot write GGUF value type ${type}`);
    this.room(fixed.size);
    writeFixed(this.buf, fixed.accessor, v, this.length);
    this.length += fixed.size;
  }
  padTo(alignment: number): void {
    const padded = alignUp(this.length, alignment);
    this.room(padded - this.length);
    this.buf.fill(0, this.length, padded);
    this.length = padded;
  }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

export interface TensorToWrite {
  name: string;
  /** ggml order: dims[0] is the length of one row. */
  dims: number[];
  type: GgmlType;
  /** Fills `out` (exactly the tensor's byte size, possibly in several calls) with its data. */
  fill: (out: Buffer, elementOffset: number) => void;
}

const BYTES_PER_ELEMENT: Record<GgmlType, number> = { [GgmlType.F32]: 4, [GgmlType.F16]: 2 };

export function tensorByteSize(t: Pick<TensorToWrite, 'dims' | 'type'>): number {
  return t.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.type];
}

/**
 * Writes a GGUF v3 file: metadata in the given order, then the tensor directory, then the
 * tensor data, each tensor aligned. Data is produced chunk by chunk into one reused buffer so
 * multi-GB files are written with constant memory.
 */
export function writeGguf(
  file: string,
  metadata: Array<[string, GgufValue]>,
  tensors: TensorToWrite[],
  onProgress?: (bytesWritten: number, totalBytes: number) => void,
): void {
  const alignment = GGUF_DEFAULT_ALIGNMENT;
  const header = new HeaderBuilder();
  for (const c of GGUF_MAGIC) header.scalar(GgufValueType.UINT8, c.charCodeAt(0));
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, v] of metadata) {
    header.string(key);
    header.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
      header.u32(v.itemType);
      header.u64(v.items.length);
      for (const item of v.items) header.scalar(v.itemType, item);
    } else {
      header.scalar(v.type, v.value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(d);
    header.u32(t.type);
    header.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensorByteSize(t), alignment);
  }
  header.padTo(alignment);
  const totalBytes = header.length + offset;

  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fd, header.bytes());
    let written = header.length;
    const chunk = Buffer.alloc(32 << 20);
    const padding = Buffer.alloc(alignment);
    tensors.forEach((t, i) => {
      const elementSize = BYTES_PER_ELEMENT[t.type];
      const size = tensorByteSize(t);
      for (let done = 0; done < size; ) {
        // Whole elements per chunk so `fill` never sees half a value.
        const n = Math.min(size - done, Math.floor(chunk.length / elementSize) * elementSize);
        const view = chunk.subarray(0, n);
        t.fill(view, done / elementSize);
        writeAll(fd, view);
        done += n;
        written += n;
        onProgress?.(written, totalBytes);
      }
      const end = (i + 1 < tensors.length ? offsets[i + 1] : offset) - (offsets[i] + size);
      if (end > 0) { writeAll(fd, padding.subarray(0, end)); written += end; }
    });
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // Rename last, so a half-written model is never mistaken for a finished one.
  fs.renameSync(tmp, file);
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
}
