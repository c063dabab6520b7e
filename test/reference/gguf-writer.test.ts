// The GGUF writer behind the test models (scripts/gguf.ts): what it writes reads back exactly,
// and its half-precision conversion rounds like IEEE 754.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GgmlType, GgufValue, GgufValueType, readGgufHeader, writeGguf } from '../../scripts/gguf';
import { toFloat16Bits } from '../../scripts/make-test-models';

describe('GGUF writer', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-gguf-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const metadata: Array<[string, GgufValue]> = [
    ['u8', { type: GgufValueType.UINT8, value: 200 }],
    ['i8', { type: GgufValueType.INT8, value: -100 }],
    ['u16', { type: GgufValueType.UINT16, value: 60000 }],
    ['i16', { type: GgufValueType.INT16, value: -30000 }],
    ['u32', { type: GgufValueType.UINT32, value: 4000000000 }],
    ['i32', { type: GgufValueType.INT32, value: -2000000000 }],
    ['f32', { type: GgufValueType.FLOAT32, value: 0.5 }],
    ['bool', { type: GgufValueType.BOOL, value: true }],
    ['string', { type: GgufValueType.STRING, value: 'Grüße 🦙\n' }],
    ['u64', { type: GgufValueType.UINT64, value: 2n ** 63n + 5n }],
    ['i64', { type: GgufValueType.INT64, value: -(2n ** 62n) }],
    ['f64', { type: GgufValueType.FLOAT64, value: Math.PI }],
    ['strings', { type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, items: ['a', '', 'Ġ t'] }],
    ['ints', { type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, items: [1, -2, 3] }],
  ];

  function writeSample(file: string): void {
    writeGguf(file, metadata, [
      { name: 'odd', dims: [3], type: GgmlType.F32, fill: (out) => new Float32Array(out.buffer, out.byteOffset, 3).set([1, 2, 3]) },
      { name: 'matrix', dims: [5, 2], type: GgmlType.F16, fill: (out) => out.fill(0xab) },
    ]);
  }

  test('metadata reads back with the same keys, order, types and values', () => {
    const file = path.join(dir, 'meta.gguf');
    writeSample(file);
    const read = readGgufHeader(file);
    expect(read.version).toBe(3);
    expect([...read.metadata.entries()]).toEqual(metadata);
  });

  test('tensors are listed in order with 32-byte aligned offsets and their data in place', () => {
    const file = path.join(dir, 'tensors.gguf');
    writeSample(file);
    const read = readGgufHeader(file);
    expect(read.tensors.map((t) => [t.name, t.dims, t.type, t.offset])).toEqual([
      ['odd', [3], GgmlType.F32, 0n],
      ['matrix', [5, 2], GgmlType.F16, 32n],
    ]);
    const bytes = fs.readFileSync(file);
    expect(read.dataOffset % 32).toBe(0);
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + read.dataOffset, bytes.byteOffset + read.dataOffset + 12)))).toEqual([1, 2, 3]);
    expect(bytes.subarray(read.dataOffset + 32, read.dataOffset + 52)).toEqual(Buffer.alloc(20, 0xab));
    expect(bytes.length).toBe(read.dataOffset + 64); // the last tensor is padded too
  });

  test('a file cut short is reported as unreadable, naming the file', () => {
    const file = path.join(dir, 'cut.gguf');
    writeSample(file);
    fs.truncateSync(file, 100);
    expect(() => readGgufHeader(file)).toThrow(/cut\.gguf is not a readable GGUF file: unexpected end of file/);
  });
});

describe('float16 conversion', () => {
  test.each([
    [1, '0x3c00'],
    [-2, '0xc000'],
    [0.1, '0x2e66'],
    [65504, '0x7bff'],
    [65520, '0x7c00'], // halfway to the next step rounds to even, which is infinity
    [2 ** -24, '0x0001'], // smallest subnormal
    [2 ** -26, '0x0000'], // below half the smallest subnormal
    [Infinity, '0x7c00'],
    [-0, '0x8000'],
  ])('%p becomes %s', (value, bits) => {
    expect(`0x${toFloat16Bits(value).toString(16).padStart(4, '0')}`).toBe(bits);
  });

  test('NaN stays NaN', () => {
    const bits = toFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
  });
});
