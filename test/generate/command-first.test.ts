// The command first: generation stops once the command string closes when nothing more is
// wanted (--print, a key pressed in the menu), and the command is reported the moment it closes.
import type { GenerateRequest, GenerateResult, InferenceBackend } from '../../lib/backends/types';
import { defaultConfig } from '../../lib/config';
import { generateCommand } from '../../lib/generate';
import type { Environment } from '../../lib/prompt';
import { JsonAnswerStream } from '../../lib/prompt/stream';

const environment: Environment = {
  platform: 'linux',
  osName: 'Linux',
  shell: 'bash',
  shellSource: 'override',
  userland: 'gnu',
  cwd: '/tmp',
  tools: [],
};

/** Streams its answer a few characters at a time, yielding between pieces, and honours abort like a real backend. */
class StreamingBackend implements InferenceBackend {
  readonly name = 'streaming';
  piecesSent = 0;
  constructor(private readonly text: string, private readonly onPiece?: (index: number) => void) {}
  async status() {
    return { backend: this.name, available: true, detail: '' };
  }
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    let text = '';
    for (const piece of this.text.match(/.{1,2}/gs) ?? []) {
      if (request.signal?.aborted) break;
      text += piece;
      this.piecesSent++;
      request.onToken?.(piece);
      this.onPiece?.(this.piecesSent);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const aborted = text.length < this.text.length;
    return {
      text,
      backend: this.name,
      model: 'm',
      stopReason: aborted ? 'abort' : 'eos',
      timings: { loadMs: 0, timeToFirstTokenMs: 1, generationMs: 1, totalMs: 1, generatedTokens: this.piecesSent },
    };
  }
  async dispose() {}
}

const config = defaultConfig('/nonexistent/config.toml');
const longExplanation = 'Lists every file, one per line, with sizes. '.repeat(8);
const answer = JSON.stringify({ command: 'ls -la "my dir"', explanation: longExplanation });

test('commandOnly stops generating when the command string closes and returns the command', async () => {
  const backend = new StreamingBackend(answer);
  const result = await generateCommand('list files', { backend, config, environment, commandOnly: true });
  expect(result.command).toBe('ls -la "my dir"');
  expect(result.explanation).toBe('');
  // The command is 38 characters of JSON; the explanation (~350) was never generated.
  expect(backend.piecesSent * 2).toBeLessThan(answer.indexOf('explanation') + 4);
});

test('without commandOnly the whole answer is generated and both fields are kept', async () => {
  const backend = new StreamingBackend(answer);
  const result = await generateCommand('list files', { backend, config, environment });
  expect(result.explanation).toBe(longExplanation.trim());
  expect(backend.piecesSent).toBe(Math.ceil(answer.length / 2));
});

test('the command is reported complete before the explanation is written', async () => {
  const events: string[] = [];
  const backend = new StreamingBackend(answer);
  await generateCommand('list files', {
    backend,
    config,
    environment,
    onCommand: (command) => events.push(`command:${command}`),
    onExplanationText: () => events.at(-1) !== 'explanation' && events.push('explanation'),
  });
  expect(events).toEqual(['command:ls -la "my dir"', 'explanation']);
});

test('endEarly ends generation mid-explanation and keeps the explanation written so far', async () => {
  const stop = new AbortController();
  let closedAt = -1;
  const backend = new StreamingBackend(answer, (index) => closedAt >= 0 && index === closedAt + 20 && stop.abort());
  const result = await generateCommand('list files', {
    backend,
    config,
    environment,
    endEarly: stop.signal,
    onCommand: () => (closedAt = backend.piecesSent),
  });
  expect(result.command).toBe('ls -la "my dir"');
  expect(longExplanation.startsWith(result.explanation)).toBe(true);
  expect(result.explanation.length).toBeGreaterThan(0);
  expect(result.explanation.length).toBeLessThan(longExplanation.trim().length);
});

test('endEarly fired before the command closes still waits for the whole command', async () => {
  const stop = new AbortController();
  stop.abort();
  const backend = new StreamingBackend(answer);
  const result = await generateCommand('list files', { backend, config, environment, endEarly: stop.signal });
  expect(result.command).toBe('ls -la "my dir"');
  expect(result.explanation).toBe('');
});

test('a restarted answer is followed from its start again', async () => {
  const backend: InferenceBackend = {
    name: 'restarting',
    status: async () => ({ backend: 'restarting', available: true, detail: '' }),
    dispose: async () => {},
    async generate(request) {
      request.onToken?.('{"command": "rm -');
      request.onRestart?.();
      const text = JSON.stringify({ command: 'ls', explanation: 'lists' });
      request.onToken?.(text);
      return { text, backend: 'restarting', model: 'm', stopReason: 'eos', timings: { loadMs: 0, timeToFirstTokenMs: 0, generationMs: 0, totalMs: 0 } };
    },
  };
  let shown = '';
  const commands: string[] = [];
  const result = await generateCommand('list', {
    backend,
    config,
    environment,
    onCommandText: (text) => (shown += text),
    onRestart: () => (shown = ''),
    onCommand: (command) => commands.push(command),
  });
  expect(shown).toBe('ls');
  expect(commands).toEqual(['ls']);
  expect(result.timings.resident).toBe(false);
});

describe('following the JSON answer', () => {
  test('reports each top-level string field and where it closed, however the text is split', () => {
    const text = JSON.stringify({ command: 'echo "{\\"}" \u00e9', explanation: 'has "command": [x] inside' });
    for (const size of [1, 2, 5, text.length]) {
      const closed: Array<[string, string, number]> = [];
      const shown: Record<string, string> = {};
      const stream = new JsonAnswerStream({
        onText: (field, piece) => (shown[field] = (shown[field] ?? '') + piece),
        onClose: (field, value, end) => closed.push([field, value, end]),
      });
      for (let i = 0; i < text.length; i += size) stream.push(text.slice(i, i + size));
      const parsed = JSON.parse(text);
      expect(shown).toEqual(parsed);
      expect(closed.map(([field, value]) => [field, value])).toEqual([['command', parsed.command], ['explanation', parsed.explanation]]);
      expect(JSON.parse(text.slice(0, closed[0][2]) + '}')).toEqual({ command: parsed.command });
    }
  });

  test('strings nested deeper than the top level are skipped, quotes and all', () => {
    const text = '{"other": {"command": "nested \\" }"}, "command": "top"}';
    const closed: string[] = [];
    const stream = new JsonAnswerStream({ onClose: (field, value) => closed.push(`${field}=${value}`) });
    stream.push(text);
    expect(closed).toEqual(['command=top']);
  });
});

describe('with the tiny test model on the real engine', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { requireTinyModel } = require('../cli/helpers') as typeof import('../cli/helpers');
  const { createEmbeddedBackend } = require('../../lib/backends/embedded') as typeof import('../../lib/backends/embedded');
  let backend: InferenceBackend;
  beforeAll(() => {
    const model = requireTinyModel();
    backend = createEmbeddedBackend({ resolveModelPath: async () => model });
  });
  afterAll(() => backend.dispose());

  test('commandOnly returns the complete command from the real stream, and generates no more than the whole answer', async () => {
    const whole = await generateCommand('list files', { backend, config, environment, maxTokens: 96 });
    const first = await generateCommand('list files', { backend, config, environment, maxTokens: 96, commandOnly: true });
    expect(first.command.length).toBeGreaterThan(0);
    expect(first.explanation).toBe('');
    expect(first.timings.generatedTokens!).toBeLessThanOrEqual(whole.timings.generatedTokens!);
  }, 60_000);
});
