// The token mask alone, without a model: walking the real Qwen2 vocabulary by picking random
// allowed tokens must always end in a document that parses and matches the schema.
import Ajv from 'ajv';
import { JsonSchemaConstraint } from '../../lib/engine/mlx/json-schema-mask';
import { MlxTokenizer } from '../../lib/engine/mlx/tokenizer';
import { mlxFixtures } from './mlx-fixtures';

const COMMAND_SCHEMA = {
  type: 'object',
  properties: {
    command: { type: 'string', minLength: 1, maxLength: 40 },
    explanation: { type: 'string', maxLength: 30 },
    risk: { enum: ['safe', 'moderate', 'dangerous'] },
    confidence: { type: 'number' },
    steps: { type: 'integer' },
    needs_sudo: { type: 'boolean' },
    alternatives: { type: 'array', items: { type: 'string', maxLength: 10 }, maxItems: 3 },
  },
  required: ['command', 'risk', 'needs_sudo'],
  additionalProperties: false,
};

/** A small seeded generator (mulberry32) so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('JSON Schema token masking over the Qwen2 vocabulary', () => {
  let tokenizer: MlxTokenizer;
  let constraint: JsonSchemaConstraint;
  const END = 151645;

  beforeAll(() => {
    tokenizer = MlxTokenizer.fromFolder(mlxFixtures().dir);
    constraint = new JsonSchemaConstraint(COMMAND_SCHEMA, { tokenBytes: tokenizer.tokenBytes, excludedIds: tokenizer.addedTokenIds }, [END]);
  });

  function walk(seed: number, limit = 400): string {
    const next = random(seed);
    let state = constraint.start();
    const ids: number[] = [];
    for (let i = 0; i < limit && !constraint.isFinished(state); i++) {
      const allowed = constraint.allowedTokens(state);
      expect(allowed.length).toBeGreaterThan(0);
      const token = allowed[Math.floor(next() * allowed.length)];
      if (token === END) break;
      state = constraint.accept(state, tokenizer.tokenBytes[token]);
      ids.push(token);
    }
    expect(constraint.isComplete(state)).toBe(true);
    return tokenizer.detokenize(ids);
  }

  test('the first token can only open the object', () => {
    const allowed = constraint.allowedTokens(constraint.start());
    for (const id of allowed) expect(tokenizer.detokenize([id]).startsWith('{')).toBe(true);
    expect(allowed).not.toContain(END);
  });

  test('100 random walks all end in JSON that validates against the schema', () => {
    const validate = new Ajv().compile(COMMAND_SCHEMA);
    for (let seed = 1; seed <= 100; seed++) {
      const text = walk(seed);
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(text))).not.toThrow();
      if (!validate(parsed)) throw new Error(`seed ${seed}: ${text} does not validate: ${JSON.stringify(validate.errors)}`);
    }
  });

  test('nested arrays, $ref, anyOf, type lists and const also hold on 100 walks', () => {
    const schema = {
      $defs: {
        step: {
          type: 'object',
          properties: {
            kind: { const: 'shell' },
            argv: { type: 'array', items: { type: 'string', maxLength: 8 }, minItems: 1, maxItems: 3 },
            retries: { type: ['integer', 'null'] },
            note: { anyOf: [{ type: 'boolean' }, { type: 'string', maxLength: 5 }] },
            extra: { type: 'array', items: { type: 'number' }, maxItems: 2 },
          },
          required: ['kind', 'argv', 'retries'],
        },
      },
      type: 'array',
      items: { $ref: '#/$defs/step' },
      maxItems: 2,
    };
    const nested = new JsonSchemaConstraint(schema, { tokenBytes: tokenizer.tokenBytes, excludedIds: tokenizer.addedTokenIds }, [END]);
    const validate = new Ajv().compile(schema);
    for (let seed = 1; seed <= 100; seed++) {
      const next = random(seed);
      let state = nested.start();
      const ids: number[] = [];
      for (let i = 0; i < 2000 && !nested.isFinished(state); i++) {
        const allowed = nested.allowedTokens(state);
        const token = allowed[Math.floor(next() * allowed.length)];
        if (token === END) break;
        state = nested.accept(state, tokenizer.tokenBytes[token]);
        ids.push(token);
      }
      const text = tokenizer.detokenize(ids);
      if (!nested.isComplete(state)) throw new Error(`seed ${seed}: walk did not finish: ${text}`);
      if (!validate(JSON.parse(text))) throw new Error(`seed ${seed}: ${text} does not validate: ${JSON.stringify(validate.errors)}`);
    }
  });

  test('free-form values nest at most three levels deep', () => {
    const free = new JsonSchemaConstraint({}, { tokenBytes: tokenizer.tokenBytes, excludedIds: tokenizer.addedTokenIds }, [END]);
    const encode = (t: string) => new TextEncoder().encode(t);
    const deep = free.accept(free.start(), encode('[{"a":[1'));
    expect(() => free.accept(free.start(), encode('[{"a":[['))).toThrow();
    expect(free.isComplete(free.accept(deep, encode(']}]')))).toBe(true);
  });

  test('an end token is allowed only once the document is complete', () => {
    let state = constraint.start();
    for (const piece of ['{"command":"ls","risk":"safe","needs_sudo":false']) {
      state = constraint.accept(state, new TextEncoder().encode(piece));
    }
    expect(constraint.allowedTokens(state)).not.toContain(END);
    state = constraint.accept(state, new TextEncoder().encode('}'));
    expect(constraint.isFinished(state)).toBe(true);
    expect(constraint.allowedTokens(state)).toContain(END);
  });

  test('strings stop at maxLength: only the closing quote fits', () => {
    const c = new JsonSchemaConstraint({ type: 'string', maxLength: 3 }, { tokenBytes: tokenizer.tokenBytes, excludedIds: tokenizer.addedTokenIds }, [END]);
    const state = c.accept(c.start(), new TextEncoder().encode('"abc'));
    const allowed = Array.from(c.allowedTokens(state)).map((id) => tokenizer.detokenize([id]));
    expect(allowed.length).toBeGreaterThan(0);
    for (const text of allowed) expect(text.startsWith('"')).toBe(true);
  });

  test('unsupported keywords are refused with a message naming them', () => {
    expect(() => new JsonSchemaConstraint({ type: 'string', pattern: '^a+$' }, { tokenBytes: [], excludedIds: new Set() }, [END])).toThrow(/"pattern"/);
  });
});
