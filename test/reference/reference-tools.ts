// Shared helpers for the reference parity tests: where the fixtures and llama.cpp's own tools
// live, how to run llama-simple, and how to render token ids to bytes straight from a GGUF
// vocabulary (independently of the engine under test).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { GgufValueType, readGgufHeader } from '../../scripts/gguf';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const llamaCppDir = process.env.LLAMA_CPP_DIR
  ? path.resolve(process.env.LLAMA_CPP_DIR)
  : path.join(repoRoot, 'deps', 'llama.cpp');
export const toolsBin = path.join(repoRoot, 'deps', 'build-tools', 'bin');
export const tinyModel = path.join(repoRoot, 'models', 'test', 'tiny-qwen2.gguf');

/** Throws a message saying what to run when a generated file or built tool is absent. */
export function requireFile(file: string, howToMake: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(repoRoot, file)} is missing; run \`${howToMake}\` first`);
  }
  return file;
}

export function requireTool(name: string): string {
  return requireFile(path.join(toolsBin, name), 'npm run build:tools');
}

export interface SimpleRun {
  /** Bytes llama-simple printed after the prompt (its final newline removed). */
  generated: Buffer;
  /** Tokens it generated, end-of-generation excluded (its "decoded N tokens" line). */
  generatedCount: number;
}

/**
 * Runs llama.cpp's examples/simple: greedy decoding that prints the prompt, then each generated
 * piece, then a newline, and stops early at an end-of-generation token without printing it.
 */
export function runLlamaSimple(model: string, prompt: string, maxTokens: number): SimpleRun {
  const exe = requireTool('llama-simple');
  const run = spawnSync(exe, ['-m', model, '-n', String(maxTokens), prompt], { maxBuffer: 16 << 20 });
  if (run.error) throw new Error(`could not run ${exe}: ${run.error.message}`);
  const stderr = run.stderr.toString('utf8');
  if (run.status !== 0) {
    throw new Error(`llama-simple exited with ${run.status ?? run.signal}:\n${stderr.split('\n').slice(-10).join('\n')}`);
  }
  const stdout: Buffer = run.stdout;
  // It echoes the prompt's tokens rendered with special tokens shown, which for these prompts
  // is the prompt text itself.
  const echoed = Buffer.from(prompt, 'utf8');
  if (!stdout.subarray(0, echoed.length).equals(echoed)) {
    throw new Error(`llama-simple output does not start with the prompt: ${JSON.stringify(stdout.toString('utf8').slice(0, 200))}`);
  }
  if (stdout[stdout.length - 1] !== 0x0a) throw new Error('llama-simple output does not end with its final newline');
  const decoded = /decoded (\d+) tokens/.exec(stderr);
  if (!decoded) throw new Error(`llama-simple did not report how many tokens it decoded:\n${stderr.slice(-500)}`);
  return { generated: stdout.subarray(echoed.length, stdout.length - 1), generatedCount: Number(decoded[1]) };
}

// GPT-2 byte-level BPE spells each byte as a printable character; this is the inverse map.
function byteLevelDecoder(): Map<number, number> {
  const isPrintable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const charToByte = new Map<number, number>();
  let shifted = 0;
  // Printable bytes stand for themselves; the others take code points 256, 257, ... in byte order.
  for (let b = 0; b < 256; b++) charToByte.set(isPrintable(b) ? b : 256 + shifted++, b);
  return charToByte;
}

const NORMAL_TOKEN = 1;

/**
 * Renders token ids to bytes as llama_token_to_piece(special = true) does for a byte-level BPE
 * vocabulary: normal tokens are decoded from their byte-level spelling, every other kind
 * (control, user-defined) is its text.
 */
export function vocabularyRenderer(ggufFile: string): (tokens: number[]) => Buffer {
  const metadata = readGgufHeader(ggufFile).metadata;
  const texts = metadata.get('tokenizer.ggml.tokens');
  const types = metadata.get('tokenizer.ggml.token_type');
  if (texts?.type !== GgufValueType.ARRAY || types?.type !== GgufValueType.ARRAY) {
    throw new Error(`${ggufFile} has no tokenizer.ggml.tokens / token_type arrays`);
  }
  const charToByte = byteLevelDecoder();
  return (tokens) => {
    const parts: Buffer[] = [];
    for (const id of tokens) {
      const text = texts.items[id];
      if (typeof text !== 'string') throw new Error(`token id ${id} is outside the vocabulary`);
      if (types.items[id] !== NORMAL_TOKEN) {
        parts.push(Buffer.from(text, 'utf8'));
        continue;
      }
      const bytes: number[] = [];
      for (const ch of text) {
        const b = charToByte.get(ch.codePointAt(0)!);
        if (b === undefined) throw new Error(`token ${id} (${JSON.stringify(text)}) is not byte-level BPE`);
        bytes.push(b);
      }
      parts.push(Buffer.from(bytes));
    }
    return Buffer.concat(parts);
  };
}

export interface VocabTestVector {
  input: string;
  expected: number[];
}

/**
 * Reads llama.cpp's tokenizer test vectors (tests/test-tokenizer-0.cpp's format): the .inp file
 * holds inputs separated by "\n__ggml_vocab_test__\n", the .out file one line of space-separated
 * token ids per input.
 */
export function readVocabTestVectors(inpFile: string, outFile: string): VocabTestVector[] {
  const separator = '\n__ggml_vocab_test__\n';
  const raw = fs.readFileSync(inpFile, 'utf8');
  const inputs: string[] = [];
  for (let pos = 0; pos < raw.length; ) {
    const next = raw.indexOf(separator, pos);
    if (next < 0) {
      inputs.push(raw.slice(pos));
      break;
    }
    inputs.push(raw.slice(pos, next));
    pos = next + separator.length;
  }
  const lines = fs.readFileSync(outFile, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== inputs.length) {
    throw new Error(`${inpFile} has ${inputs.length} inputs but ${outFile} has ${lines.length} outputs`);
  }
  return inputs.map((input, i) => {
    const ids = lines[i].trim();
    return { input, expected: ids === '' ? [] : ids.split(' ').map(Number) };
  });
}
