// With a JSON Schema, the output parses and validates on every one of 100 different prompts,
// even though the tiny model's weights are random: the schema, turned into a grammar, decides
// which tokens may be sampled at all. Prompts: the first 100 English requests of the nl2bash
// corpus (../shared/corpora, MIT, TellinaTool/nl2bash), each through the model's chat template.

import fs from 'node:fs';

import Ajv from 'ajv';

import { loadModel } from '../../lib/engine';
import type { Model } from '../../lib/engine/types';
import { corpusPath, describeWithCorpus } from '../helpers/corpora';
import { tinyModel } from './engine-fixtures';

const corpusFile = corpusPath('nl2bash', 'all.nl');

function firstRequests(count: number): string[] {
  const requests = fs
    .readFileSync(corpusFile, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const unique = [...new Set(requests)].slice(0, count);
  if (unique.length < count) throw new Error(`${corpusFile} has fewer than ${count} distinct requests`);
  return unique;
}

const schema = {
  type: 'object',
  properties: {
    command: { type: 'string', minLength: 1, maxLength: 48 },
    explanation: { type: 'string', maxLength: 48 },
    risk: { enum: ['safe', 'moderate', 'high', 'critical'] },
    confidence: { type: 'integer', minimum: 0, maximum: 100 },
  },
  required: ['command', 'explanation', 'risk', 'confidence'],
  additionalProperties: false,
};

describeWithCorpus(corpusFile, 'JSON Schema constrained output on random weights', () => {
  const requests = firstRequests(100);
  const validate = new Ajv().compile(schema);
  let model: Model;

  beforeAll(async () => {
    model = await loadModel(tinyModel(), { contextSize: 1024, threads: 1 });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  test.each(requests.map((request, i) => [i + 1, request] as const))(
    'prompt %i (%s) gives JSON that validates against the schema',
    async (i, request) => {
      const prompt = model.applyChatTemplate([
        { role: 'system', content: 'Answer with one shell command as JSON.' },
        { role: 'user', content: request },
      ]);
      const completion = await model.complete(prompt, { temperature: 0.8, seed: i, maxTokens: 400, jsonSchema: schema });
      expect(completion.stopReason).toBe('eos');
      const parsed: unknown = JSON.parse(completion.text);
      expect(validate(parsed) ? [] : validate.errors).toEqual([]);
    },
  );
});
