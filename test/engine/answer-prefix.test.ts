// answerPrefix: the start of the answer a grammar forces anyway is evaluated with the prompt (no
// decode step per token), the grammar is advanced over it, and it begins the text. With the
// schema's own opening (jsonAnswerOpening) every answer still parses and validates; a prefix the
// grammar does not allow is refused before any work, with the reason.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import Ajv from 'ajv';

import { jsonAnswerOpening } from '../../lib/backends/embedded';
import { loadModel } from '../../lib/engine';
import type { Model } from '../../lib/engine/types';
import { expectCmdaiError } from '../helpers/errors';
import { repoRoot, tinyModel } from './engine-fixtures';

const schema = {
  type: 'object',
  properties: {
    command: { type: 'string', minLength: 1, maxLength: 40 },
    explanation: { type: 'string', maxLength: 40 },
  },
  required: ['command', 'explanation'],
  additionalProperties: false,
};

describe('jsonAnswerOpening', () => {
  test('a required string first: the key and the opening quote', () => {
    expect(jsonAnswerOpening(schema)).toBe('{"command":"');
  });
  test('the first required property in `properties` order, whatever order `required` lists', () => {
    expect(jsonAnswerOpening({ type: 'object', properties: { note: { type: 'string' }, n: { type: 'integer' } }, required: ['n'] })).toBe('{"n":');
  });
  test('nothing required: only the brace; not an object schema: nothing', () => {
    expect(jsonAnswerOpening({ type: 'object', properties: { a: { type: 'string' } } })).toBe('{');
    expect(jsonAnswerOpening({ type: 'string' })).toBeUndefined();
    expect(jsonAnswerOpening({ type: 'object' })).toBeUndefined();
  });
  test('a key that needs escaping is written as JSON', () => {
    expect(jsonAnswerOpening({ type: 'object', properties: { 'a"b': { type: 'string' } }, required: ['a"b'] })).toBe('{"a\\"b":"');
  });
});

describe('answerPrefix on the llama.cpp engine', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(tinyModel(), { contextSize: 1024 });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  const prompt = (request: string) => model.applyChatTemplate([{ role: 'user', content: request }], { addAssistant: true });
  const validate = new Ajv().compile(schema);

  test.each(['list files', 'show disk usage', 'find big logs', 'count lines in python files', 'kill the process on port 3000'])(
    'with the schema opening the answer still parses and validates (%s), and the opening is the first streamed piece',
    async (request) => {
      const pieces: string[] = [];
      const opening = jsonAnswerOpening(schema)!;
      const result = await model.complete(prompt(request), { jsonSchema: schema, answerPrefix: opening, maxTokens: 80, temperature: 0.8, seed: 7, onToken: (p) => pieces.push(p) });
      expect(result.text.startsWith(opening)).toBe(true);
      expect(pieces[0]).toBe(opening);
      expect(pieces.join('')).toBe(result.text);
      const value = JSON.parse(result.text);
      expect(validate(value)).toBe(true);
      // The forced tokens are prompt tokens, not generated ones.
      expect(result.timings.promptTokens).toBe(model.tokenize(prompt(request)).length + model.tokenize(opening, { addSpecial: false }).length);
    },
  );

  test('the same seed gives the same answer with and without streaming', async () => {
    const opts = { jsonSchema: schema, answerPrefix: '{"command":"', maxTokens: 60, temperature: 0.9, seed: 11 };
    const a = await model.complete(prompt('archive the logs folder'), opts);
    const b = await model.complete(prompt('archive the logs folder'), { ...opts, onToken: () => undefined });
    expect(b.text).toBe(a.text);
  });

  test('a prefix the grammar does not allow is refused before any work, saying so', async () => {
    const error = await expectCmdaiError(model.complete(prompt('list files'), { jsonSchema: schema, answerPrefix: '{"explanation":"' }));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/answer prefix does not fit the grammar/);
    // The model is still usable afterwards.
    // Room for both 40-character strings even written one escaped character (several tokens) at a
    // time: with 60 tokens and an unseeded draw the answer was sometimes cut before it closed.
    const ok = await model.complete(prompt('list files'), { jsonSchema: schema, answerPrefix: '{', maxTokens: 600, seed: 5 });
    expect(ok.stopReason).toBe('eos');
    expect(() => JSON.parse(ok.text)).not.toThrow();
  });

  test('an empty or non-string answerPrefix is a usage error', async () => {
    expect((await expectCmdaiError(model.complete('hi', { answerPrefix: '' }))).code).toBe('USAGE');
    expect((await expectCmdaiError(model.complete('hi', { answerPrefix: 42 as unknown as string }))).code).toBe('USAGE');
  });

  test('without a grammar the prefix is simply the start of the text', async () => {
    const result = await model.complete(prompt('say hi'), { answerPrefix: 'Sure:', maxTokens: 4, temperature: 0 });
    expect(result.text.startsWith('Sure:')).toBe(true);
  });
});

describe('the constrained draw among the likely tokens draws what filtering the whole vocabulary draws', () => {
  // Lower-case words: many tokens allowed, but with random weights the first draw is often not
  // one of them, so most tokens go through the search. The JSON schema case mostly takes the
  // whole-vocabulary path (random weights rank its few allowed structural tokens low).
  const words = 'root ::= [a-z ]{1,80}';
  const cases = [
    { request: 'list files', temperature: 0, seed: 1, grammar: words },
    { request: 'show disk usage', temperature: 0.8, seed: 3, grammar: words },
    { request: 'find big logs', temperature: 1.2, seed: 5, grammar: words },
    { request: 'compress the build folder', temperature: 0.8, seed: 9, topK: 5, grammar: words },
    { request: 'count lines', temperature: 0.8, seed: 2, jsonSchema: schema },
  ];

  function run(fullFilter: boolean): Array<{ tokens: number[]; text: string }> {
    const env = { ...process.env };
    delete env.CMDAI_GRAMMAR_FULL_FILTER;
    if (fullFilter) env.CMDAI_GRAMMAR_FULL_FILTER = '1';
    const script = path.join(__dirname, 'scripts', 'constrained-draws.js');
    const result = spawnSync(process.execPath, [script, path.join(repoRoot, 'lib', 'engine', 'index.ts'), tinyModel(), JSON.stringify(cases)], {
      env: { ...env, NODE_OPTIONS: `--require ${path.join(__dirname, 'transpile-register.js')}` },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`constrained-draws failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Array<{ tokens: number[]; text: string }>;
  }

  test('same tokens, case by case, at temperature 0, 0.8 and 1.2, top-k 40 and 5', () => {
    const searched = run(false);
    const filtered = run(true);
    expect(searched).toHaveLength(cases.length);
    for (let i = 0; i < cases.length; i++) {
      expect({ request: cases[i].request, tokens: searched[i].tokens }).toEqual({ request: cases[i].request, tokens: filtered[i].tokens });
      expect(searched[i].tokens.length).toBeGreaterThan(0);
    }
  });
});
