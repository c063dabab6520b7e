// The first-use flow: a path is used as given; a missing catalog model is downloaded only
// with consent, and offline the user is told what is missing and how to use a local file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmdaiError } from '../../lib/errors';
import { ModelCatalog, type ModelEntry } from '../../lib/models/catalog';
import { ensureModel, type EnsureModelOptions } from '../../lib/models/ensure';
import { FakeHub, fixtureContent, sha256 } from './helpers/fake-hub';

const REPO = 'test-org/tiny-model-GGUF';
const REVISION = '00112233445566778899aabbccddeeff00112233';
const FILE = 'tiny-q4_k_m.gguf';

let hub: FakeHub;
let modelsDir: string;
let content: Buffer;
let catalog: ModelCatalog;

function baseOptions(extra: EnsureModelOptions = {}): EnsureModelOptions {
  return {
    catalog,
    env: { CMDAI_MODELS_DIR: modelsDir },
    download: { endpoint: hub.url, retryDelayMs: 10 },
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<CmdaiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CmdaiError);
    return error as CmdaiError;
  }
  throw new Error('expected ensureModel to fail');
}

beforeEach(async () => {
  content = fixtureContent(1024 * 1024);
  hub = await new FakeHub().start();
  hub.addFile(REPO, REVISION, FILE, { content });
  modelsDir = mkdtempSync(join(tmpdir(), 'cmdai-ensure-'));
  const tiny: ModelEntry = {
    name: 'tiny',
    description: 'Tiny test model',
    format: 'gguf',
    repo: REPO,
    revision: REVISION,
    license: { id: 'apache-2.0', name: 'Apache License 2.0' },
    files: [{ path: FILE, sizeBytes: content.length, sha256: sha256(content) }],
    origin: 'catalog',
  };
  catalog = new ModelCatalog([tiny], { gguf: 'tiny', mlx: 'tiny' });
});

afterEach(async () => {
  await hub.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

test('a path to a local .gguf file is used as it is, with no download', async () => {
  const file = join(modelsDir, 'local.gguf');
  writeFileSync(file, 'GGUF');
  const resolved = await ensureModel(file, baseOptions());

  expect(resolved).toMatchObject({ path: file, source: 'file', format: 'gguf' });
  expect(hub.requests).toHaveLength(0);
});

test('a path to a missing file is a clear MODEL_MISSING error', async () => {
  const error = await failure(ensureModel(join(modelsDir, 'nope.gguf'), baseOptions()));
  expect(error.code).toBe('MODEL_MISSING');
  expect(error.message).toContain('No model file at');
});

test('with --yes the default model is downloaded without asking and its path returned', async () => {
  const ask = jest.fn();
  const resolved = await ensureModel(undefined, baseOptions({ yes: true, isTTY: true, ask }));

  expect(ask).not.toHaveBeenCalled();
  expect(resolved).toMatchObject({ name: 'tiny', source: 'download', path: join(modelsDir, 'tiny', FILE) });
  expect(sha256(readFileSync(resolved.path))).toBe(sha256(content));
});

test('on a terminal the user is asked first, with the size and the destination', async () => {
  const ask = jest.fn().mockResolvedValue(true);
  await ensureModel('tiny', baseOptions({ isTTY: true, ask }));

  const question = ask.mock.calls[0][0] as string;
  expect(question).toContain('1.0 MB');
  expect(question).toContain(join(modelsDir, 'tiny'));
  expect(question).toContain('Apache License 2.0');
});

test('declining the question downloads nothing', async () => {
  const error = await failure(ensureModel('tiny', baseOptions({ isTTY: true, ask: async () => false })));

  expect(error.code).toBe('CANCELLED');
  expect(hub.requests).toHaveLength(0);
  expect(existsSync(join(modelsDir, 'tiny', FILE))).toBe(false);
});

test('without a terminal and without --yes it explains and downloads nothing', async () => {
  const error = await failure(ensureModel(undefined, baseOptions({ isTTY: false })));

  expect(error.code).toBe('MODEL_MISSING');
  expect(error.message).toContain('not downloaded yet');
  expect(error.message).toContain('--yes');
  expect(error.message).toContain('--model /path/to/model.gguf');
  expect(hub.requests).toHaveLength(0);
});

test('an installed model is used from the cache without a question', async () => {
  await ensureModel('tiny', baseOptions({ yes: true }));
  const ask = jest.fn();
  const resolved = await ensureModel('tiny', baseOptions({ isTTY: true, ask }));

  expect(resolved.source).toBe('cache');
  expect(ask).not.toHaveBeenCalled();
});

test('with CMDAI_OFFLINE=1 it says what is missing and how to use a local GGUF file', async () => {
  const error = await failure(ensureModel(undefined, baseOptions({ yes: true, env: { CMDAI_MODELS_DIR: modelsDir, CMDAI_OFFLINE: '1' } })));

  expect(error.code).toBe('OFFLINE');
  expect(error.message).toContain('CMDAI_OFFLINE is set');
  expect(error.message).toContain(`Missing: tiny`);
  expect(error.message).toContain(join(modelsDir, 'tiny'));
  expect(error.message).toContain('cmdai --model /path/to/model.gguf "your request"');
  expect(hub.requests).toHaveLength(0);
});

test('HF_HUB_OFFLINE=1, the hub switch, is honoured the same way and named', async () => {
  const error = await failure(ensureModel(undefined, baseOptions({ yes: true, env: { CMDAI_MODELS_DIR: modelsDir, HF_HUB_OFFLINE: '1' } })));

  expect(error.code).toBe('OFFLINE');
  expect(error.message).toContain('HF_HUB_OFFLINE is set');
  expect(error.message).toContain(`Missing: tiny`);
  expect(hub.requests).toHaveLength(0);
});

test('with no route to the hub it gives the same offline guidance', async () => {
  // Port 9 on a name that cannot resolve: the lookup fails the way it does without a network.
  const error = await failure(
    ensureModel(undefined, baseOptions({ yes: true, download: { endpoint: 'http://cmdai-test-no-such-host.invalid:9', retryDelayMs: 10 } })),
  );

  expect(error.code).toBe('OFFLINE');
  expect(error.message).toContain('cannot download one');
  expect(error.message).toContain('--model /path/to/model.gguf');
});

test('an MLX model folder given as a path is accepted', async () => {
  const folder = join(modelsDir, 'my-mlx');
  mkdirSync(folder);
  writeFileSync(join(folder, 'config.json'), '{}');
  expect(await ensureModel(folder, baseOptions())).toMatchObject({ path: folder, format: 'mlx', source: 'file' });
});
