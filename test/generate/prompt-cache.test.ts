// The system prompt's KV state on the real engine: saved to the cache directory on the first
// run, restored by a fresh model load on the next (as in a new `cmdai` process), giving the same
// answer; a different prompt or a replaced model file never reuses stale state.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEmbeddedBackend } from '../../lib/backends/embedded';
import { defaultConfig } from '../../lib/config';
import { generateCommand } from '../../lib/generate';
import { detectEnvironment, Environment } from '../../lib/prompt';
import { requireTinyModel } from '../cli/helpers';

jest.setTimeout(180_000);

let dir: string;
let modelCopy: string;
const config = defaultConfig('/nonexistent/config.toml');
const environment: Environment = { ...detectEnvironment({ shell: 'bash' }), cwd: '/srv/project', tools: ['find', 'grep'] };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-prompt-cache-'));
  modelCopy = path.join(dir, 'model.gguf');
  fs.copyFileSync(requireTinyModel(), modelCopy);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function generateOnce(env: Environment, request = 'list files', onNotice?: (message: string) => void) {
  const backend = createEmbeddedBackend({ resolveModelPath: async () => modelCopy, promptCacheDir: path.join(dir, 'cache'), onNotice });
  try {
    return await generateCommand(request, { backend, config, environment: env, maxTokens: 64 });
  } finally {
    await backend.dispose();
  }
}

const cacheFiles = () => (fs.existsSync(path.join(dir, 'cache')) ? fs.readdirSync(path.join(dir, 'cache')) : []);

test('a fresh load restores the saved system prompt and gives the same answer', async () => {
  const first = await generateOnce(environment);
  expect(first.timings.cachedPromptTokens).toBe(0);
  expect(cacheFiles()).toHaveLength(1);

  const second = await generateOnce(environment);
  expect(second.timings.cachedPromptTokens).toBeGreaterThan(0);
  expect(second.timings.promptTokens).toBe(first.timings.promptTokens);
  // Only the user's turn is processed; the restored state must be the same as the computed one.
  expect(second.command).toBe(first.command);
  expect(second.explanation).toBe(first.explanation);
});

test('a different request reuses the same cached system prompt', async () => {
  await generateOnce(environment, 'list files');
  const other = await generateOnce(environment, 'show disk usage');
  expect(other.timings.cachedPromptTokens).toBeGreaterThan(0);
  expect(cacheFiles()).toHaveLength(1);
});

test('a different system prompt (other shell) gets its own cache file', async () => {
  await generateOnce(environment);
  const zsh = await generateOnce({ ...environment, shell: 'zsh' });
  expect(zsh.timings.cachedPromptTokens).toBe(0);
  expect(cacheFiles()).toHaveLength(2);
});

test('a replaced model file does not reuse the old state', async () => {
  await generateOnce(environment);
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(modelCopy, later, later);
  const replaced = await generateOnce(environment);
  expect(replaced.timings.cachedPromptTokens).toBe(0);
  expect(cacheFiles()).toHaveLength(2);
});

/** Where the KV payload starts: magic, fingerprint, token count, tokens, state size, checksum. */
function payloadOffset(file: Buffer): number {
  const tokenCount = file.readUInt32LE(16);
  return 20 + 4 * tokenCount + 8 + 8;
}

test('a cache file with flipped bytes in its KV payload is detected, discarded with a note, and rebuilt', async () => {
  const first = await generateOnce(environment);
  const [name] = cacheFiles();
  const file = path.join(dir, 'cache', name);
  const bytes = fs.readFileSync(file);
  const start = payloadOffset(bytes);
  expect(bytes.length - start).toBeGreaterThan(4000);
  // 2,000 flipped bytes spread over the payload; the header (model, tokens, sizes) stays valid.
  const step = Math.floor((bytes.length - start) / 2000);
  for (let i = 0; i < 2000; i++) bytes[start + i * step] ^= 0xff;
  fs.writeFileSync(file, bytes);

  const notices: string[] = [];
  const second = await generateOnce(environment, 'list files', (message) => notices.push(message));
  expect(second.timings.cachedPromptTokens).toBe(0);
  expect(notices).toHaveLength(1);
  expect(notices[0]).toContain(file);
  expect(notices[0]).toMatch(/checksum/);
  // Rebuilt: the next load restores it again, and the answer is the one the uncorrupted state gives.
  const third = await generateOnce(environment, 'list files', (message) => notices.push(message));
  expect(third.timings.cachedPromptTokens).toBeGreaterThan(0);
  expect(notices).toHaveLength(1);
  expect(third.command).toBe(first.command);
});

test('a single flipped bit in the KV payload is enough to discard the file', async () => {
  await generateOnce(environment);
  const file = path.join(dir, 'cache', cacheFiles()[0]);
  const bytes = fs.readFileSync(file);
  const offset = payloadOffset(bytes) + Math.floor((bytes.length - payloadOffset(bytes)) / 2);
  bytes[offset] ^= 0x01;
  fs.writeFileSync(file, bytes);
  const notices: string[] = [];
  const second = await generateOnce(environment, 'list files', (message) => notices.push(message));
  expect(second.timings.cachedPromptTokens).toBe(0);
  expect(notices.join('\n')).toMatch(/checksum/);
});
