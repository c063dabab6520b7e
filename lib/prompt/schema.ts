// The shape the model must answer in. The engine turns the JSON Schema into a grammar, so the
// text always parses; the length caps make the object close within the token budget.
import { CmdaiError } from '../errors';

export interface CommandAnswer {
  command: string;
  explanation: string;
}

export interface AnswerLimits {
  maxCommandChars: number;
  maxExplanationChars: number;
}

/**
 * Splits a token budget between the two fields. A token yields at least one character and an
 * escape takes two, so the caps are half the budget left after the keys and punctuation.
 */
export function limitsForTokenBudget(maxTokens: number): AnswerLimits {
  const forStrings = Math.max(16, Math.floor((maxTokens - 40) / 2));
  const maxCommandChars = Math.max(8, Math.floor(forStrings * 0.55));
  return { maxCommandChars, maxExplanationChars: Math.max(8, forStrings - maxCommandChars) };
}

export function commandAnswerSchema(limits: AnswerLimits): object {
  return {
    type: 'object',
    properties: {
      command: { type: 'string', minLength: 1, maxLength: limits.maxCommandChars },
      explanation: { type: 'string', maxLength: limits.maxExplanationChars },
    },
    required: ['command', 'explanation'],
    additionalProperties: false,
  };
}

export function explanationSchema(maxChars: number): object {
  return {
    type: 'object',
    properties: { explanation: { type: 'string', minLength: 1, maxLength: maxChars } },
    required: ['explanation'],
    additionalProperties: false,
  };
}

/** Parses the model's text with JSON.parse and checks the fields; never scrapes free text. */
export function parseCommandAnswer(text: string, stopReason?: string): CommandAnswer {
  const value = parseJsonObject(text, stopReason);
  const { command, explanation } = value;
  if (typeof command !== 'string' || command.trim() === '') {
    throw new CmdaiError('GENERATION', 'The model returned no command.', { hint: 'Rephrase the request, or try a larger model with --model.' });
  }
  return { command: command.trim(), explanation: typeof explanation === 'string' ? explanation.trim() : '' };
}

export function parseExplanation(text: string, stopReason?: string): string {
  const value = parseJsonObject(text, stopReason);
  if (typeof value.explanation !== 'string' || value.explanation.trim() === '') {
    throw new CmdaiError('GENERATION', 'The model returned no explanation.');
  }
  return value.explanation.trim();
}

function parseJsonObject(text: string, stopReason?: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const cutOff = stopReason === 'length';
    throw new CmdaiError(
      'GENERATION',
      cutOff ? 'The model\'s answer was cut off before it was complete.' : 'The model\'s answer was not valid JSON.',
      { hint: cutOff ? 'Try a shorter request.' : 'The backend may not support structured output; try --backend embedded.' },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CmdaiError('GENERATION', 'The model\'s answer was not a JSON object.');
  }
  return value as Record<string, unknown>;
}
