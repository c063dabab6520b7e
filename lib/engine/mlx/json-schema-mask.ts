// Constrained JSON output for the MLX engine: a JSON Schema becomes a byte-level pushdown
// recognizer, and at every step the tokens whose bytes keep the output a valid prefix of some
// document matching the schema are the only ones the sampler may pick.
//
// The output is compact JSON (no whitespace between tokens of the syntax), properties come in
// the schema's order, and no properties beyond the schema's are produced. That is a subset of
// the valid documents, which is all constrained decoding needs.
import { CmdaiError } from '../../errors';

// ---------------------------------------------------------------------------------------------
// Schema -> nodes

export type SchemaNode =
  | { kind: 'object'; props: Array<{ key: string; node: SchemaNode; required: boolean }> }
  | { kind: 'freeObject'; values: SchemaNode }
  | { kind: 'array'; items: SchemaNode; min: number; max: number }
  | { kind: 'string'; min: number; max: number }
  | { kind: 'number'; integer: boolean }
  | { kind: 'literals'; values: string[] }
  | { kind: 'anyOf'; options: SchemaNode[] }
  | { kind: 'ref'; target: () => SchemaNode };

// Keywords that only describe; they never change which documents are valid for our output.
const DESCRIPTIVE = new Set([
  '$schema', '$id', '$comment', 'title', 'description', 'default', 'examples', 'format',
  'additionalProperties', 'deprecated', 'readOnly', 'writeOnly', '$defs', 'definitions',
]);
const UNLIMITED = Number.MAX_SAFE_INTEGER;
// Free-form values ({} or "any") stay small, so random text cannot nest or grow forever.
const ANY_STRING_MAX = 256;
const ANY_ITEMS_MAX = 16;
const ANY_DEPTH_MAX = 3;

function unsupported(what: string): never {
  throw new CmdaiError('USAGE', `The JSON Schema uses ${what}, which constrained output does not support.`, {
    hint: 'Use type, properties, required, items, enum, const, anyOf/oneOf, $ref, minLength/maxLength and minItems/maxItems.',
  });
}

function compileSchema(root: unknown): SchemaNode {
  const refs = new Map<string, SchemaNode>();
  // Any JSON value, arrays and objects nested at most ANY_DEPTH_MAX deep.
  const anyAtDepth: SchemaNode[] = [];
  const anyValue = (depth = 0): SchemaNode => {
    if (anyAtDepth[depth]) return anyAtDepth[depth];
    const scalars: SchemaNode[] = [
      { kind: 'string', min: 0, max: ANY_STRING_MAX },
      { kind: 'number', integer: false },
      { kind: 'literals', values: ['true', 'false', 'null'] },
    ];
    const containers: SchemaNode[] = depth >= ANY_DEPTH_MAX ? [] : [
      { kind: 'array', items: anyValue(depth + 1), min: 0, max: ANY_ITEMS_MAX },
      { kind: 'freeObject', values: anyValue(depth + 1) },
    ];
    return (anyAtDepth[depth] = { kind: 'anyOf', options: [...scalars, ...containers] });
  };

  const resolveRef = (ref: string): SchemaNode => {
    const known = refs.get(ref);
    if (known) return known;
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    if (!match) unsupported(`the $ref "${ref}" (only local #/$defs/... and #/definitions/... are)`);
    const defs = (root as Record<string, Record<string, unknown> | undefined>)[match[1]];
    const target = defs?.[decodeURIComponent(match[2])];
    if (target === undefined) unsupported(`a $ref to "${ref}", which the schema does not define`);
    // A placeholder first, so recursive definitions terminate.
    let compiled: SchemaNode | undefined;
    const node: SchemaNode = { kind: 'ref', target: () => (compiled ??= compile(target)) };
    refs.set(ref, node);
    return node;
  };

  const compile = (schema: unknown): SchemaNode => {
    if (schema === true || (typeof schema === 'object' && schema !== null && Object.keys(schema).every((k) => DESCRIPTIVE.has(k)))) {
      return anyValue();
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      unsupported(`${JSON.stringify(schema)} as a schema`);
    }
    const s = schema as Record<string, unknown>;
    for (const key of ['pattern', 'patternProperties', 'allOf', 'not', 'if', 'dependentSchemas', 'prefixItems']) {
      if (key in s) unsupported(`"${key}"`);
    }
    if (typeof s.$ref === 'string') return resolveRef(s.$ref);
    if ('const' in s) return { kind: 'literals', values: [JSON.stringify(s.const)] };
    if (Array.isArray(s.enum)) return { kind: 'literals', values: s.enum.map((v) => JSON.stringify(v)) };
    const alternatives = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
    if (Array.isArray(alternatives)) return { kind: 'anyOf', options: alternatives.map(compile) };
    if (Array.isArray(s.type)) {
      return { kind: 'anyOf', options: s.type.map((t) => compile({ ...s, type: t })) };
    }
    switch (s.type) {
      case 'object': {
        const properties = (s.properties ?? {}) as Record<string, unknown>;
        const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
        for (const r of required) if (!(r in properties)) unsupported(`"required": "${r}" without a schema for it in "properties"`);
        const keys = Object.keys(properties);
        if (keys.length === 0) return { kind: 'freeObject', values: anyValue(1) };
        return { kind: 'object', props: keys.map((key) => ({ key, node: compile(properties[key]), required: required.has(key) })) };
      }
      case 'array':
        return {
          kind: 'array',
          items: s.items === undefined ? anyValue(1) : compile(s.items),
          min: typeof s.minItems === 'number' ? s.minItems : 0,
          max: typeof s.maxItems === 'number' ? s.maxItems : UNLIMITED,
        };
      case 'string':
        return {
          kind: 'string',
          min: typeof s.minLength === 'number' ? s.minLength : 0,
          max: typeof s.maxLength === 'number' ? s.maxLength : UNLIMITED,
        };
      case 'number':
        return { kind: 'number', integer: false };
      case 'integer':
        return { kind: 'number', integer: true };
      case 'boolean':
        return { kind: 'literals', values: ['true', 'false'] };
      case 'null':
        return { kind: 'literals', values: ['null'] };
      case undefined:
        return anyValue();
      default:
        unsupported(`"type": ${JSON.stringify(s.type)}`);
    }
  };
  return compile(root);
}

// ---------------------------------------------------------------------------------------------
// The recognizer: a set of stacks; each stack is one way the bytes so far can be read.

const MAX_INT_DIGITS = 15;
const MAX_FRACTION_DIGITS = 15;
// Two exponent digits keep every number finite as a double (no 1e999 reading as Infinity).
const MAX_EXPONENT_DIGITS = 2;

export type NumberPhase = 'start' | 'sign' | 'zero' | 'int' | 'dot' | 'frac' | 'exp0' | 'expSign' | 'exp';

export type Frame =
  | { t: 'value'; node: SchemaNode }
  | { t: 'lit'; text: Uint8Array; i: number; id: number }
  | { t: 'str'; min: number; max: number; len: number; escape: number; cont: number; low: number; high: number }
  | { t: 'num'; integer: boolean; phase: NumberPhase; digits: number }
  | { t: 'obj'; node: Extract<SchemaNode, { kind: 'object' }>; idx: number; first: boolean; id: number }
  | { t: 'freeObj'; node: Extract<SchemaNode, { kind: 'freeObject' }>; count: number; id: number }
  | { t: 'arr'; node: Extract<SchemaNode, { kind: 'array' }>; count: number; id: number };

/** A persistent stack; null is the empty stack: a complete document. */
export interface Stack { frame: Frame; next: Stack | null; key?: string }

const ACCEPTING: ReadonlySet<NumberPhase> = new Set(['zero', 'int', 'frac', 'exp']);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const ESCAPABLE = new Set([...'"\\/bfnrt'].map((c) => c.charCodeAt(0)));
const encoder = new TextEncoder();

class Recognizer {
  private readonly literalIds = new Map<string, number>();
  private readonly nodeIds = new Map<SchemaNode, number>();
  private readonly anyString: SchemaNode = { kind: 'string', min: 0, max: ANY_STRING_MAX };

  constructor(readonly root: SchemaNode) {}

  private lit(text: string): Frame {
    let id = this.literalIds.get(text);
    if (id === undefined) this.literalIds.set(text, (id = this.literalIds.size));
    return { t: 'lit', text: encoder.encode(text), i: 0, id };
  }

  private nodeId(node: SchemaNode): number {
    let id = this.nodeIds.get(node);
    if (id === undefined) this.nodeIds.set(node, (id = this.nodeIds.size));
    return id;
  }

  start(): Array<Stack | null> {
    const out: Array<Stack | null> = [];
    this.expand({ frame: { t: 'value', node: this.root }, next: null }, out);
    return dedupe(out);
  }

  /** Resolves everything that consumes no byte, until each stack waits on a byte (or is done). */
  private expand(s: Stack | null, out: Array<Stack | null>): void {
    if (s === null) { out.push(null); return; }
    const f = s.frame;
    const rest = s.next;
    switch (f.t) {
      case 'lit':
      case 'str':
        out.push(s);
        return;
      case 'num':
        out.push(s);
        if (ACCEPTING.has(f.phase)) this.expand(rest, out);
        return;
      case 'value':
        this.expandValue(f.node, rest, out);
        return;
      case 'obj': {
        const props = f.node.props;
        for (let j = f.idx; j < props.length; j++) {
          const prefix = `${f.first ? '' : ','}${JSON.stringify(props[j].key)}:`;
          const after: Stack = { frame: { t: 'obj', node: f.node, idx: j + 1, first: false, id: this.nodeId(f.node) }, next: rest };
          this.expand({ frame: this.lit(prefix), next: { frame: { t: 'value', node: props[j].node }, next: after } }, out);
          if (props[j].required) return; // a required property cannot be skipped, nor anything after it closed
        }
        this.expand({ frame: this.lit('}'), next: rest }, out);
        return;
      }
      case 'freeObj': {
        this.expand({ frame: this.lit('}'), next: rest }, out);
        if (f.count >= ANY_ITEMS_MAX) return;
        const after: Stack = { frame: { ...f, count: f.count + 1 }, next: rest };
        const value: Stack = { frame: { t: 'value', node: f.node.values }, next: after };
        const key: Stack = { frame: { t: 'value', node: this.anyString }, next: { frame: this.lit(':'), next: value } };
        this.expand(f.count > 0 ? { frame: this.lit(','), next: key } : key, out);
        return;
      }
      case 'arr': {
        if (f.count >= f.node.min) this.expand({ frame: this.lit(']'), next: rest }, out);
        if (f.count < f.node.max) {
          const after: Stack = { frame: { ...f, count: f.count + 1 }, next: rest };
          const item: Stack = { frame: { t: 'value', node: f.node.items }, next: after };
          this.expand(f.count > 0 ? { frame: this.lit(','), next: item } : item, out);
        }
        return;
      }
    }
  }

  private expandValue(node: SchemaNode, rest: Stack | null, out: Array<Stack | null>): void {
    switch (node.kind) {
      case 'object':
        this.expand({ frame: this.lit('{'), next: { frame: { t: 'obj', node, idx: 0, first: true, id: this.nodeId(node) }, next: rest } }, out);
        return;
      case 'freeObject':
        this.expand({ frame: this.lit('{'), next: { frame: { t: 'freeObj', node, count: 0, id: this.nodeId(node) }, next: rest } }, out);
        return;
      case 'array':
        this.expand({ frame: this.lit('['), next: { frame: { t: 'arr', node, count: 0, id: this.nodeId(node) }, next: rest } }, out);
        return;
      case 'string':
        this.expand({ frame: this.lit('"'), next: { frame: { t: 'str', min: node.min, max: node.max, len: 0, escape: 0, cont: 0, low: 0x80, high: 0xbf }, next: rest } }, out);
        return;
      case 'number':
        out.push({ frame: { t: 'num', integer: node.integer, phase: 'start', digits: 0 }, next: rest });
        return;
      case 'literals':
        for (const v of node.values) this.expand({ frame: this.lit(v), next: rest }, out);
        return;
      case 'anyOf':
        for (const o of node.options) this.expandValue(o, rest, out);
        return;
      case 'ref':
        this.expandValue(node.target(), rest, out);
        return;
    }
  }

  /** The stacks after reading byte `b` (empty: `b` cannot come next). */
  step(stacks: ReadonlyArray<Stack | null>, b: number): Array<Stack | null> {
    const out: Array<Stack | null> = [];
    for (const s of stacks) {
      if (s === null) continue;
      const next = advance(s, b);
      if (next !== DEAD) this.expand(next, out);
    }
    return out.length > 1 ? dedupe(out) : out;
  }
}

const DEAD = Symbol('dead');

function advance(s: Stack, b: number): Stack | null | typeof DEAD {
  const f = s.frame;
  const rest = s.next;
  switch (f.t) {
    case 'lit':
      if (f.text[f.i] !== b) return DEAD;
      return f.i + 1 === f.text.length ? rest : { frame: { ...f, i: f.i + 1 }, next: rest };
    case 'str': {
      if (f.escape === 1) {
        if (ESCAPABLE.has(b)) return { frame: { ...f, escape: 0 }, next: rest };
        if (b === 0x75 /* u */) return { frame: { ...f, escape: 2 + 4 }, next: rest };
        return DEAD;
      }
      if (f.escape > 2) {
        // 2 + the hex digits still expected after \u
        if (!isHex(b)) return DEAD;
        return { frame: { ...f, escape: f.escape === 3 ? 0 : f.escape - 1 }, next: rest };
      }
      if (f.cont > 0) {
        if (b < f.low || b > f.high) return DEAD;
        return { frame: { ...f, cont: f.cont - 1, low: 0x80, high: 0xbf }, next: rest };
      }
      if (b === QUOTE) return f.len >= f.min ? rest : DEAD;
      if (f.len + 1 > f.max) return DEAD;
      if (b === BACKSLASH) return { frame: { ...f, len: f.len + 1, escape: 1 }, next: rest };
      if (b < 0x20) return DEAD;
      const lead = utf8Lead(b);
      if (!lead) return DEAD;
      return { frame: { ...f, len: f.len + 1, ...lead }, next: rest };
    }
    case 'num': {
      const to = (phase: NumberPhase, digits: number): Stack => ({ frame: { ...f, phase, digits }, next: rest });
      const d = isDigit(b);
      switch (f.phase) {
        case 'start':
          if (b === 0x2d /* - */) return to('sign', 0);
        // falls through: a first digit is read as after a sign
        case 'sign':
          if (b === 0x30) return to('zero', 1);
          if (d) return to('int', 1);
          return DEAD;
        case 'zero':
        case 'int':
          if (d && f.phase === 'int' && f.digits < MAX_INT_DIGITS) return to('int', f.digits + 1);
          if (f.integer) return DEAD;
          if (b === 0x2e /* . */) return to('dot', 0);
          if (b === 0x65 || b === 0x45) return to('exp0', 0);
          return DEAD;
        case 'dot':
          return d ? to('frac', 1) : DEAD;
        case 'frac':
          if (d && f.digits < MAX_FRACTION_DIGITS) return to('frac', f.digits + 1);
          if (b === 0x65 || b === 0x45) return to('exp0', 0);
          return DEAD;
        case 'exp0':
          if (b === 0x2b || b === 0x2d) return to('expSign', 0);
        // falls through
        case 'expSign':
          return d ? to('exp', 1) : DEAD;
        case 'exp':
          return d && f.digits < MAX_EXPONENT_DIGITS ? to('exp', f.digits + 1) : DEAD;
      }
      return DEAD;
    }
    default:
      throw new Error(`internal: advance on a non-consuming frame ${f.t}`);
  }
}

/**
 * What a UTF-8 lead byte needs next: how many continuation bytes, and the range the first of
 * them must fall in (which rules out overlong forms, surrogates and code points past U+10FFFF).
 */
function utf8Lead(b: number): { cont: number; low: number; high: number } | null {
  if (b < 0x80) return { cont: 0, low: 0x80, high: 0xbf };
  if (b >= 0xc2 && b <= 0xdf) return { cont: 1, low: 0x80, high: 0xbf };
  if (b === 0xe0) return { cont: 2, low: 0xa0, high: 0xbf };
  if (b === 0xed) return { cont: 2, low: 0x80, high: 0x9f };
  if (b >= 0xe1 && b <= 0xef) return { cont: 2, low: 0x80, high: 0xbf };
  if (b === 0xf0) return { cont: 3, low: 0x90, high: 0xbf };
  if (b >= 0xf1 && b <= 0xf3) return { cont: 3, low: 0x80, high: 0xbf };
  if (b === 0xf4) return { cont: 3, low: 0x80, high: 0x8f };
  return null;
}

function frameKey(f: Frame): string {
  switch (f.t) {
    case 'lit': return `L${f.id}.${f.i}`;
    case 'str': return `S${f.min}.${f.max}.${f.len}.${f.escape}.${f.cont}.${f.low}`;
    case 'num': return `N${f.integer ? 1 : 0}${f.phase}${f.digits}`;
    case 'obj': return `O${f.id}.${f.idx}.${f.first ? 1 : 0}`;
    case 'freeObj': return `F${f.id}.${f.count}`;
    case 'arr': return `A${f.id}.${f.count}`;
    case 'value': return 'V';
  }
}

function stackKey(s: Stack | null): string {
  if (s === null) return '$';
  if (s.key === undefined) s.key = `${frameKey(s.frame)}/${stackKey(s.next)}`;
  return s.key;
}

function dedupe(stacks: Array<Stack | null>): Array<Stack | null> {
  const seen = new Map<string, Stack | null>();
  for (const s of stacks) seen.set(stackKey(s), s);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------
// Token masks

/** Token ids sorted by their bytes, with each one's common-prefix length with the one before. */
interface SortedTokens { ids: Int32Array; bytes: Uint8Array[]; lcp: Int32Array }

function sortTokens(ids: number[], tokenBytes: Uint8Array[]): SortedTokens {
  const sorted = ids.slice().sort((a, b) => Buffer.compare(tokenBytes[a], tokenBytes[b]));
  const bytes = sorted.map((id) => tokenBytes[id]);
  const lcp = new Int32Array(sorted.length);
  for (let k = 1; k < sorted.length; k++) {
    const a = bytes[k - 1];
    const b = bytes[k];
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    lcp[k] = n;
  }
  return { ids: Int32Array.from(sorted), bytes, lcp };
}

/** Inside a string, tokens without quotes, backslashes, control bytes or broken UTF-8 are just characters. */
function plainStringChars(bytes: Uint8Array): number {
  let chars = 0;
  let cont = 0;
  let low = 0x80;
  let high = 0xbf;
  for (const b of bytes) {
    if (cont > 0) {
      if (b < low || b > high) return -1;
      cont--;
      low = 0x80;
      high = 0xbf;
      continue;
    }
    if (b === QUOTE || b === BACKSLASH || b < 0x20) return -1;
    const lead = utf8Lead(b);
    if (!lead) return -1;
    ({ cont, low, high } = lead);
    chars++;
  }
  return chars;
}

/** What the tokenizer offers the constraint: each id's bytes, and ids that are never output text. */
export interface ConstraintVocabulary {
  tokenBytes: Uint8Array[];
  excludedIds: Set<number>;
}

/** Where a constrained generation stands: the ways its output so far can be read. */
export interface ConstraintState {
  readonly stacks: ReadonlyArray<Stack | null>;
  readonly key: string;
}

const MASK_CACHE_LIMIT = 4096;

interface VocabularyIndex {
  all: SortedTokens;
  special: SortedTokens;
  plainIds: Int32Array;
  plainChars: Int32Array;
}

// Sorting 150k tokens takes a while and does not depend on the schema: one index per vocabulary.
const vocabularyIndexes = new WeakMap<Uint8Array[], WeakMap<Set<number>, VocabularyIndex>>();

function indexVocabulary(vocab: ConstraintVocabulary): VocabularyIndex {
  let byExcluded = vocabularyIndexes.get(vocab.tokenBytes);
  if (!byExcluded) vocabularyIndexes.set(vocab.tokenBytes, (byExcluded = new WeakMap()));
  const known = byExcluded.get(vocab.excludedIds);
  if (known) return known;
  const candidates: number[] = [];
  const special: number[] = [];
  const plain: Array<[number, number]> = [];
  vocab.tokenBytes.forEach((bytes, id) => {
    if (bytes.length === 0 || vocab.excludedIds.has(id)) return;
    candidates.push(id);
    const chars = plainStringChars(bytes);
    if (chars < 0) special.push(id);
    else plain.push([id, chars]);
  });
  plain.sort((a, b) => a[1] - b[1]);
  const index: VocabularyIndex = {
    all: sortTokens(candidates, vocab.tokenBytes),
    special: sortTokens(special, vocab.tokenBytes),
    plainIds: Int32Array.from(plain.map((p) => p[0])),
    plainChars: Int32Array.from(plain.map((p) => p[1])),
  };
  byExcluded.set(vocab.excludedIds, index);
  return index;
}

export class JsonSchemaConstraint {
  private readonly recognizer: Recognizer;
  private readonly all: SortedTokens;
  private readonly special: SortedTokens;
  /** Plain string tokens, fewest characters first, and those character counts. */
  private readonly plainIds: Int32Array;
  private readonly plainChars: Int32Array;
  private readonly masks = new Map<string, Int32Array>();

  constructor(schema: object, vocab: ConstraintVocabulary, private readonly endTokens: number[]) {
    this.recognizer = new Recognizer(compileSchema(schema));
    ({ all: this.all, special: this.special, plainIds: this.plainIds, plainChars: this.plainChars } = indexVocabulary(vocab));
  }

  start(): ConstraintState {
    return this.state(this.recognizer.start());
  }

  /** The state after `token`'s bytes; throws if the token was not allowed. */
  accept(state: ConstraintState, bytes: Uint8Array): ConstraintState {
    let stacks = state.stacks as Array<Stack | null>;
    for (const b of bytes) {
      stacks = this.recognizer.step(stacks, b);
      if (stacks.length === 0) throw new Error('internal: a token outside the mask was accepted');
    }
    return this.state(stacks);
  }

  /** The output so far is a whole document matching the schema. */
  isComplete(state: ConstraintState): boolean {
    return state.stacks.includes(null);
  }

  /** Nothing more can follow: the document is complete and cannot be extended. */
  isFinished(state: ConstraintState): boolean {
    return state.stacks.every((s) => s === null);
  }

  /** Token ids that may come next (end tokens included once the document is complete). */
  allowedTokens(state: ConstraintState): Int32Array {
    const cached = this.masks.get(state.key);
    if (cached) return cached;
    const allowed: number[] = [];
    const only = state.stacks.length === 1 ? state.stacks[0] : null;
    const f = only?.frame;
    if (f && f.t === 'str' && f.escape === 0 && f.cont === 0) {
      // Fast path inside a plain string: every plain token short enough fits as is.
      const room = f.max - f.len;
      let n = 0;
      while (n < this.plainChars.length && this.plainChars[n] <= room) n++;
      for (let k = 0; k < n; k++) allowed.push(this.plainIds[k]);
      this.scan(this.special, state.stacks, allowed);
    } else {
      this.scan(this.all, state.stacks, allowed);
    }
    if (this.isComplete(state)) allowed.push(...this.endTokens);
    const mask = Int32Array.from(allowed);
    if (this.masks.size >= MASK_CACHE_LIMIT) this.masks.clear();
    this.masks.set(state.key, mask);
    return mask;
  }

  /** Walks tokens in byte order, reusing the states of shared prefixes and skipping dead ones. */
  private scan(tokens: SortedTokens, start: ReadonlyArray<Stack | null>, allowed: number[]): void {
    const states: Array<ReadonlyArray<Stack | null>> = [start];
    let deadAt = Infinity; // the prefix of this length + 1 of the last computed token is dead
    for (let k = 0; k < tokens.ids.length; k++) {
      const shared = k === 0 ? 0 : tokens.lcp[k];
      if (shared > deadAt) continue;
      deadAt = Infinity;
      const bytes = tokens.bytes[k];
      let alive = true;
      for (let depth = shared; depth < bytes.length; depth++) {
        const next = this.recognizer.step(states[depth], bytes[depth]);
        if (next.length === 0) { deadAt = depth; alive = false; break; }
        states[depth + 1] = next;
      }
      if (alive) allowed.push(tokens.ids[k]);
    }
  }

  private state(stacks: Array<Stack | null>): ConstraintState {
    return { stacks, key: stacks.map(stackKey).sort().join('|') };
  }
}
