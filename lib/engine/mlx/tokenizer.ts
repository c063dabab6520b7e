// Tokenization for MLX model folders: the model's own tokenizer.json through
// @huggingface/tokenizers, plus each token's raw bytes (for streaming text and for constrained
// output, which both work below the level of whole characters).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as HfTokenizers from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is ESM-first; its CommonJS build is loaded, typed from the ESM types
const { Tokenizer } = require('@huggingface/tokenizers') as typeof HfTokenizers;
type Tokenizer = InstanceType<typeof Tokenizer>;
import { CmdaiError } from '../../errors';

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  model?: { type?: string; vocab?: Record<string, number> };
  decoder?: { type?: string; decoders?: Array<{ type?: string }> } | null;
}

export interface TokenizerConfigJson {
  chat_template?: string | Array<{ name: string; template: string }>;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  add_bos_token?: boolean;
  [key: string]: unknown;
}

/** GPT-2's byte-to-printable-character table, inverted: the characters byte-level BPE stores. */
function byteLevelDecodeTable(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Map<string, number>();
  const isPrintable = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (isPrintable.has(b)) table.set(String.fromCodePoint(b), b);
    else table.set(String.fromCodePoint(256 + next++), b);
  }
  return table;
}

function usesByteLevel(json: TokenizerJson): boolean {
  const d = json.decoder;
  if (!d) return false;
  return d.type === 'ByteLevel' || (d.decoders ?? []).some((x) => x.type === 'ByteLevel');
}

function tokenText(t: TokenizerConfigJson['eos_token']): string | null {
  if (!t) return null;
  return typeof t === 'string' ? t : t.content;
}

export class MlxTokenizer {
  /** Raw bytes of every token id; special tokens hold their literal text. */
  readonly tokenBytes: Uint8Array[];
  /** Ids of tokens that are not plain text (special and added tokens). */
  readonly addedTokenIds: Set<number>;
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly addBos: boolean;

  private readonly withSpecial: Tokenizer;
  private plainTokenizer: Tokenizer | undefined;

  private constructor(
    private readonly json: TokenizerJson,
    readonly config: TokenizerConfigJson,
  ) {
    this.withSpecial = new Tokenizer(json, config);
    const vocab = json.model?.vocab ?? {};
    const added = json.added_tokens ?? [];
    let size = 0;
    for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
    for (const t of added) size = Math.max(size, t.id + 1);
    this.vocabSize = size;

    const encoder = new TextEncoder();
    const byteLevel = usesByteLevel(json);
    const decodeTable = byteLevelDecodeTable();
    this.tokenBytes = new Array<Uint8Array>(size).fill(new Uint8Array(0));
    for (const [text, id] of Object.entries(vocab)) {
      if (!byteLevel) {
        this.tokenBytes[id] = encoder.encode(text);
        continue;
      }
      const bytes = new Uint8Array(text.length);
      let n = 0;
      for (const ch of text) {
        const b = decodeTable.get(ch);
        if (b === undefined) { n = -1; break; }
        bytes[n++] = b;
      }
      this.tokenBytes[id] = n < 0 ? encoder.encode(text) : bytes.subarray(0, n);
    }
    this.addedTokenIds = new Set(added.map((t) => t.id));
    for (const t of added) this.tokenBytes[t.id] = encoder.encode(t.content);

    const bos = tokenText(config.bos_token);
    this.bosTokenId = bos === null ? null : this.withSpecial.token_to_id(bos) ?? null;
    this.addBos = config.add_bos_token === true && this.bosTokenId !== null;
  }

  /**
   * The tokenizer of a model folder. Parsing a 150k-token tokenizer.json takes seconds, so a
   * folder loaded again (same files, unchanged) reuses the tokenizer built the first time.
   */
  static fromFolder(dir: string): MlxTokenizer {
    const key = cacheKey(dir);
    const cached = key ? recentTokenizers.get(key) : undefined;
    if (cached) return cached;
    const tokenizer = MlxTokenizer.read(dir);
    if (key) {
      if (recentTokenizers.size >= RECENT_TOKENIZERS) recentTokenizers.delete(recentTokenizers.keys().next().value!);
      recentTokenizers.set(key, tokenizer);
    }
    return tokenizer;
  }

  private static read(dir: string): MlxTokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(file)) {
      throw new CmdaiError('MODEL_INVALID', `${dir} has no tokenizer.json.`, {
        hint: 'An MLX model folder needs tokenizer.json and tokenizer_config.json next to config.json; download the whole folder.',
      });
    }
    let json: TokenizerJson;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
    } catch (err) {
      throw new CmdaiError('MODEL_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, { hint: 'Download the model folder again.' });
    }
    const configFile = path.join(dir, 'tokenizer_config.json');
    let config: TokenizerConfigJson = {};
    if (fs.existsSync(configFile)) {
      try {
        config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as TokenizerConfigJson;
      } catch (err) {
        throw new CmdaiError('MODEL_INVALID', `${configFile} is not valid JSON: ${(err as Error).message}`, { hint: 'Download the model folder again.' });
      }
    }
    try {
      return new MlxTokenizer(json, config);
    } catch (err) {
      throw new CmdaiError('MODEL_INVALID', `${file} is not a tokenizer this engine can read: ${(err as Error).message}`);
    }
  }

  idOf(text: string): number | undefined {
    return this.withSpecial.token_to_id(text);
  }

  /**
   * Text to token ids. With `parseSpecial` (the default here, as prompts come from the chat
   * template) "<|im_start|>" is one control token; without it, it is spelled out as plain text.
   */
  tokenize(text: string, opts: { addSpecial?: boolean; parseSpecial?: boolean } = {}): number[] {
    const tokenizer = opts.parseSpecial === false ? this.plain() : this.withSpecial;
    const ids = text === '' ? [] : tokenizer.encode(text, { add_special_tokens: false }).ids;
    return opts.addSpecial && this.addBos && this.bosTokenId !== null ? [this.bosTokenId, ...ids] : ids;
  }

  detokenize(tokens: number[]): string {
    if (tokens.length === 0) return '';
    return this.withSpecial.decode(tokens, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** Turns token ids into text one token at a time, holding back incomplete UTF-8 sequences. */
  streamDecoder(): { push(token: number): string; flush(): string } {
    const decoder = new TextDecoder('utf-8', { fatal: false });
    return {
      push: (token) => decoder.decode(this.tokenBytes[token] ?? new Uint8Array(0), { stream: true }),
      flush: () => decoder.decode(),
    };
  }

  // Control tokens removed, so their text is tokenized like any other text (user-defined
  // tokens stay: llama.cpp always matches those too).
  private plain(): Tokenizer {
    if (!this.plainTokenizer) {
      const plainJson = { ...this.json, added_tokens: (this.json.added_tokens ?? []).filter((t) => !t.special) };
      this.plainTokenizer = new Tokenizer(plainJson, this.config);
    }
    return this.plainTokenizer;
  }
}

const RECENT_TOKENIZERS = 4;
const recentTokenizers = new Map<string, MlxTokenizer>();

/** Identifies a folder's tokenizer files by path, size and modification time. */
function cacheKey(dir: string): string | null {
  try {
    return ['tokenizer.json', 'tokenizer_config.json']
      .map((name) => {
        const file = path.join(dir, name);
        if (!fs.existsSync(file)) return `${file}:none`;
        const st = fs.statSync(file);
        return `${fs.realpathSync(file)}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
  } catch {
    return null;
  }
}

export function eosTokenText(config: TokenizerConfigJson): string | null {
  return tokenText(config.eos_token);
}
