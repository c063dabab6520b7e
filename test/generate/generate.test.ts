// The pipeline's own logic (prompt assembly, parsing, alternatives, revision, timings) against a
// scripted backend. The real engine is exercised in test/generate/corpus.test.ts and test/cli/.
import type { GenerateRequest, GenerateResult, InferenceBackend } from '../../lib/backends/types';
import { defaultConfig } from '../../lib/config';
import { CmdaiError } from '../../lib/errors';
import { checkRequest, generateCommand, reviseCommand } from '../../lib/generate';
import type { Environment } from '../../lib/prompt';

const environment: Environment = {
  platform: 'linux',
  osName: 'Linux (Debian GNU/Linux 12)',
  shell: 'bash',
  shellSource: 'override',
  userland: 'gnu',
  cwd: '/home/u/project',
  tools: ['find', 'git'],
};

class ScriptedBackend implements InferenceBackend {
  readonly name = 'scripted';
  readonly requests: GenerateRequest[] = [];
  constructor(private readonly answers: string[]) {}
  async status() {
    return { backend: this.name, available: true, detail: 'scripted' };
  }
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.requests.push(request);
    const text = this.answers[Math.min(this.requests.length - 1, this.answers.length - 1)];
    for (const piece of text.match(/.{1,3}/gs) ?? []) request.onToken?.(piece);
    return {
      text,
      backend: this.name,
      model: 'scripted-model',
      stopReason: 'eos',
      timings: { loadMs: 12, promptMs: 3, timeToFirstTokenMs: 5, generationMs: 20, totalMs: 40 },
    };
  }
  async dispose() {}
}

const answer = (command: string, explanation = 'does it') => JSON.stringify({ command, explanation });
const options = (backend: InferenceBackend) => ({ backend, config: defaultConfig('/nonexistent/config.toml'), environment });

test('the prompt is the system prompt, then the working directory and request', async () => {
  const backend = new ScriptedBackend([answer('ls -la')]);
  await generateCommand('list files', options(backend));
  const [system, user] = backend.requests[0].messages;
  expect(system.role).toBe('system');
  expect(system.content).toContain('Shell: bash');
  expect(user).toEqual({ role: 'user', content: 'Working directory: /home/u/project\nRequest: list files' });
  expect(backend.requests[0].jsonSchema).toMatchObject({ required: ['command', 'explanation'] });
});

test('the result carries the parsed command, backend, model, shell and timings', async () => {
  const backend = new ScriptedBackend([answer('du -sh * | sort -h', 'Sizes, sorted.')]);
  const result = await generateCommand('sizes of things here', options(backend));
  expect(result).toMatchObject({
    command: 'du -sh * | sort -h',
    explanation: 'Sizes, sorted.',
    backend: 'scripted',
    model: 'scripted-model',
    shell: 'bash',
    alternatives: [],
  });
  expect(result.timings).toMatchObject({ load: 12, prompt: 3, timeToFirstToken: 5, generation: 20 });
  expect(result.timings.total).toBeGreaterThanOrEqual(0);
  expect(['safe', 'moderate', 'high', 'critical']).toContain(result.risk.level);
});

test('the command is streamed for display as the model writes it', async () => {
  const backend = new ScriptedBackend([answer('echo "a\\"b"')]);
  let shown = '';
  await generateCommand('say a quote', { ...options(backend), onCommandText: (text) => (shown += text) });
  expect(shown).toBe('echo "a\\"b"');
});

test('alternatives are sampled, deduplicated and each assessed', async () => {
  const backend = new ScriptedBackend([answer('ls'), answer('ls'), answer('ls -a'), answer('find . -maxdepth 1')]);
  const result = await generateCommand('list files', { ...options(backend), alternatives: 2 });
  expect(result.alternatives.map((alt) => alt.command)).toEqual(['ls -a', 'find . -maxdepth 1']);
  expect(result.alternatives.every((alt) => typeof alt.risk.level === 'string')).toBe(true);
  expect(backend.requests.slice(1).every((request) => (request.temperature ?? 0) > 0)).toBe(true);
});

test('revising sends the conversation so far plus the refinement', async () => {
  const backend = new ScriptedBackend([answer('ls'), answer('ls -R')]);
  const first = await generateCommand('list files', options(backend));
  const revised = await reviseCommand(first, 'include subfolders', options(backend));
  const messages = backend.requests[1].messages;
  expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  expect(messages[2].content).toBe(JSON.stringify({ command: 'ls', explanation: 'does it' }));
  expect(messages[3].content).toContain('include subfolders');
  expect(revised.command).toBe('ls -R');
});

test('an answer that is not JSON is a generation error, not scraped', async () => {
  const backend = new ScriptedBackend(['Sure! Run `ls -la` to list files.']);
  await expect(generateCommand('list files', options(backend))).rejects.toMatchObject({ code: 'GENERATION' });
});

describe('request checks', () => {
  test('an empty request is a usage error with an example', () => {
    expect(() => checkRequest('   ')).toThrow(CmdaiError);
    expect(() => checkRequest('')).toThrow('No request given');
  });

  test('a 100 KB request is refused with the limit', () => {
    expect(() => checkRequest('x'.repeat(100 * 1024))).toThrow(/102,400 characters; the limit is 4,000/);
  });
});
