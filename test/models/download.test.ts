// downloadModel against a fake hub on 127.0.0.1: resume, verification, and every failure a
// user can meet on the way, each ending in a message that says what to do.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmdaiError } from '../../lib/errors';
import type { ModelEntry } from '../../lib/models/catalog';
import { downloadModel, type DownloadOptions, type DownloadProgress } from '../../lib/models/download';
import { installedManifest, readManifest } from '../../lib/models/installed';
import { FakeHub, fixtureContent, sha256 } from './helpers/fake-hub';
import { PROXY_VARIABLES, startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy';

const REPO = 'test-org/tiny-model-GGUF';
const REVISION = '0123456789abcdef0123456789abcdef01234567';
const FILE = 'tiny-q4_k_m.gguf';

let hub: FakeHub;
let modelsDir: string;
let content: Buffer;

function entry(overrides: Partial<ModelEntry['files'][number]> = {}, extra: Partial<ModelEntry> = {}): ModelEntry {
  return {
    name: 'tiny',
    description: 'tiny test model',
    format: 'gguf',
    repo: REPO,
    revision: REVISION,
    files: [{ path: FILE, sizeBytes: content.length, sha256: sha256(content), ...overrides }],
    origin: 'catalog',
    ...extra,
  };
}

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { modelsDir, endpoint: hub.url, env: {}, retryDelayMs: 10, retries: 3, idleTimeoutMs: 2000, ...extra };
}

const finalPath = () => join(modelsDir, 'tiny', FILE);
const partialPath = () => `${finalPath()}.partial`;

async function failure(promise: Promise<unknown>): Promise<CmdaiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CmdaiError);
    return error as CmdaiError;
  }
  throw new Error('expected the download to fail');
}

beforeEach(async () => {
  content = fixtureContent();
  hub = await new FakeHub().start();
  hub.addFile(REPO, REVISION, FILE, { content });
  modelsDir = mkdtempSync(join(tmpdir(), 'cmdai-models-'));
});

afterEach(async () => {
  await hub.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('resuming', () => {
  test('a download cut off mid-stream resumes with a Range request and ends with the right sha256', async () => {
    hub.plan = [{ kind: 'cut', afterBytes: 1024 * 1024 }];
    const result = await downloadModel(entry(), options());

    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
    const [first, second] = hub.requests;
    expect(first.range).toBeUndefined();
    const resumedFrom = Number(second.range?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(resumedFrom).toBeGreaterThan(0);
    // The second request carried only the missing bytes, not the whole file again.
    expect(second.bytesSent).toBe(content.length - resumedFrom);
    expect(result.downloaded).toBe(true);
    expect(existsSync(partialPath())).toBe(false);
  });

  test('a connection that keeps breaking but makes progress each time still completes', async () => {
    hub.plan = Array.from({ length: 6 }, () => ({ kind: 'cut' as const, afterBytes: 400_000 }));
    await downloadModel(entry(), options({ retries: 1 }));

    expect(hub.requests.length).toBeGreaterThanOrEqual(7);
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('a partial file left by an earlier run is continued from its size', async () => {
    mkdirSync(join(modelsDir, 'tiny'), { recursive: true });
    writeFileSync(partialPath(), content.subarray(0, 700_000));

    await downloadModel(entry(), options());

    expect(hub.requests).toHaveLength(1);
    expect(hub.requests[0].range).toBe('bytes=700000-');
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('a partial file fetched from another URL (an older pinned revision) is discarded, not resumed', async () => {
    mkdirSync(join(modelsDir, 'tiny'), { recursive: true });
    writeFileSync(partialPath(), Buffer.alloc(600_000, 7));
    writeFileSync(`${partialPath()}.json`, JSON.stringify({ url: `${hub.url}/${REPO}/resolve/${'9'.repeat(40)}/${FILE}` }));

    await downloadModel(entry(), options());

    expect(hub.requests[0].range).toBeUndefined();
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
    expect(existsSync(`${partialPath()}.json`)).toBe(false);
  });

  test('a server that ignores Range (200 instead of 206) makes the download start over correctly', async () => {
    mkdirSync(join(modelsDir, 'tiny'), { recursive: true });
    writeFileSync(partialPath(), content.subarray(0, 500_000));
    hub.plan = [{ kind: 'ignore-range' }];

    await downloadModel(entry(), options());

    expect(hub.requests[0].range).toBe('bytes=500000-');
    expect(hub.requests[0].bytesSent).toBe(content.length);
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('a partial file that already holds every byte (416 from the server) is verified and installed', async () => {
    mkdirSync(join(modelsDir, 'tiny'), { recursive: true });
    writeFileSync(partialPath(), content);

    await downloadModel(entry({ sizeBytes: null, approxBytes: content.length }), options());

    expect(hub.requests[0].range).toBe(`bytes=${content.length}-`);
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('an interrupted multi-file pull keeps its finished files and is not installed until all are there', async () => {
    const config = Buffer.from('{"model_type": "qwen2"}');
    hub.addFile(REPO, REVISION, 'config.json', { content: config });
    const folderEntry = entry({}, { format: 'mlx' });
    folderEntry.files = [
      { path: 'config.json', sizeBytes: config.length, sha256: null },
      { path: 'weights/model.safetensors', sizeBytes: content.length, sha256: sha256(content) },
    ];
    const missing = await failure(downloadModel(folderEntry, options()));
    expect(missing.message).toContain('Not found');
    expect(await readManifest(modelsDir, 'tiny')).toMatchObject({ files: [{ path: 'config.json', verifiedBy: 'hub-git-sha1' }] });
    expect(await installedManifest(modelsDir, folderEntry)).toBeUndefined();

    hub.addFile(REPO, REVISION, 'weights/model.safetensors', { content });
    hub.requests.length = 0;
    const result = await downloadModel(folderEntry, options());

    expect(hub.requests.map((r) => r.path)).toEqual([`/${REPO}/resolve/${REVISION}/weights/model.safetensors`]);
    expect(result.path).toBe(join(modelsDir, 'tiny'));
    expect(result.manifest.files.map((f) => f.path)).toEqual(['config.json', 'weights/model.safetensors']);
    expect(sha256(readFileSync(join(modelsDir, 'tiny', 'weights', 'model.safetensors')))).toBe(sha256(content));
  });

  test('an installed model is not downloaded again', async () => {
    await downloadModel(entry(), options());
    const again = await downloadModel(entry(), options());

    expect(again.downloaded).toBe(false);
    expect(hub.requests).toHaveLength(1);
  });
});

describe('verification', () => {
  test('a wrong checksum leaves nothing at the final path and says so', async () => {
    const wrong = 'f'.repeat(64);
    const error = await failure(downloadModel(entry({ sha256: wrong }), options()));

    expect(error.code).toBe('DOWNLOAD');
    expect(error.message).toContain('Checksum mismatch');
    expect(error.message).toContain(`expected sha256 ${wrong}`);
    expect(error.message).toContain('nothing was installed');
    expect(existsSync(finalPath())).toBe(false);
    expect(existsSync(partialPath())).toBe(false);
    expect(await readManifest(modelsDir, 'tiny')).toBeUndefined();
  });

  test('without a catalog sha256 the LFS sha256 the hub reports is checked and recorded', async () => {
    hub.addFile(REPO, REVISION, FILE, { content, lfs: true });
    const result = await downloadModel(entry({ sha256: null }), options());

    expect(hub.requests.map((r) => r.path)).toEqual([`/${REPO}/resolve/${REVISION}/${FILE}`, `/cdn/${REPO}/resolve/${REVISION}/${FILE}`]);
    const recorded = result.manifest.files[0];
    expect(recorded.verifiedBy).toBe('hub-lfs-sha256');
    expect(recorded.sha256).toBe(sha256(content));
    expect((await readManifest(modelsDir, 'tiny'))?.files[0].sha256).toBe(sha256(content));
  });

  test('a file whose bytes differ from the hub-reported LFS sha256 is rejected', async () => {
    hub.addFile(REPO, REVISION, FILE, { content, lfs: true, claimedSha256: 'a'.repeat(64) });
    const error = await failure(downloadModel(entry({ sha256: null }), options()));

    expect(error.message).toContain('Checksum mismatch');
    expect(existsSync(finalPath())).toBe(false);
  });

  test('a small non-LFS file is checked against the git blob sha1 the hub sends as ETag', async () => {
    const result = await downloadModel(entry({ sha256: null }), options());

    expect(result.manifest.files[0].verifiedBy).toBe('hub-git-sha1');
    expect(result.manifest.files[0].sha256).toBe(sha256(content));
  });

  test('a file with no known sha256 from a server that reports no hash is refused', async () => {
    hub.addFile(REPO, REVISION, FILE, { content, noHashHeaders: true });
    const error = await failure(downloadModel(entry({ sha256: null }), options()));

    expect(error.message).toContain('Cannot verify');
    expect(error.hint).toContain('sha256');
    expect(existsSync(finalPath())).toBe(false);
  });
});

describe('errors a user can act on', () => {
  test.each(['1', 'true'])('HF_HUB_OFFLINE=%s refuses to download, names the variable and sends no request', async (value) => {
    const error = await failure(downloadModel(entry(), options({ env: { HF_HUB_OFFLINE: value } })));

    expect(error.code).toBe('OFFLINE');
    expect(error.message).toContain('HF_HUB_OFFLINE is set');
    expect(hub.requests).toHaveLength(0);
  });

  test('HF_HUB_OFFLINE=0 downloads as usual', async () => {
    await downloadModel(entry(), options({ env: { HF_HUB_OFFLINE: '0' } }));
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('404 names the repository, file and revision and says to check them', async () => {
    const error = await failure(downloadModel(entry({ path: 'missing.gguf' }), options()));

    expect(error.code).toBe('DOWNLOAD');
    expect(error.message).toContain(`Not found: ${REPO}/missing.gguf at revision ${REVISION}`);
    expect(error.hint).toMatch(/name, repository, file and revision/);
  });

  test('401 without a token says to set HF_TOKEN and accept the license', async () => {
    hub.requiredToken = 'secret';
    const error = await failure(downloadModel(entry(), options()));

    expect(error.message).toContain('needs authorization (HTTP 401');
    expect(error.hint).toContain('Set HF_TOKEN');
    expect(error.hint).toContain('accept its license');
  });

  test('403 with a token says the token lacks access', async () => {
    hub.requiredToken = 'secret';
    const error = await failure(downloadModel(entry(), options({ env: { HF_TOKEN: 'wrong' } })));

    expect(hub.requests[0].authorization).toBe('Bearer wrong');
    expect(error.message).toContain('HF_TOKEN does not give access');
    expect(error.message).toContain('HTTP 403');
  });

  test('403 without a token says to set HF_TOKEN', async () => {
    hub.plan = [{ kind: 'status', status: 403 }];
    const error = await failure(downloadModel(entry(), options()));

    expect(error.message).toContain('needs authorization (HTTP 403');
    expect(error.hint).toContain('Set HF_TOKEN');
  });

  test('401 with a token says the token is invalid or expired', async () => {
    hub.plan = [{ kind: 'status', status: 401 }];
    const error = await failure(downloadModel(entry(), options({ env: { HF_TOKEN: 'expired' } })));

    expect(error.message).toContain('rejected HF_TOKEN');
    expect(error.hint).toContain('new access token');
  });

  test('HF_TOKEN is sent as a Bearer token and a right one downloads a gated file', async () => {
    hub.requiredToken = 'secret';
    await downloadModel(entry(), options({ env: { HF_TOKEN: 'secret' } }));

    expect(hub.requests[0].authorization).toBe('Bearer secret');
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('the token goes to the hub but not to a CDN on another origin that the hub redirects to', async () => {
    const cdn = await new FakeHub().start();
    try {
      cdn.addFile(REPO, REVISION, FILE, { content });
      hub.addFile(REPO, REVISION, FILE, { content, lfs: true });
      hub.cdnUrl = cdn.url;
      hub.requiredToken = 'secret';
      await downloadModel(entry(), options({ env: { HF_TOKEN: 'secret' } }));

      expect(hub.requests[0].authorization).toBe('Bearer secret');
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0].authorization).toBeUndefined();
      expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
    } finally {
      await cdn.stop();
    }
  });

  test('5xx answers are retried with backoff and a later success completes the download', async () => {
    hub.plan = [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
    ];
    await downloadModel(entry(), options());

    expect(hub.requests).toHaveLength(3);
    expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
  });

  test('a server that keeps failing ends in a clear message after the retries', async () => {
    hub.plan = Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 503 }));
    const error = await failure(downloadModel(entry(), options({ retries: 2 })));

    expect(hub.requests).toHaveLength(3);
    expect(error.message).toContain('kept failing (HTTP 503)');
    expect(error.message).toContain('after 3 attempts');
    expect(error.hint).toContain('try again later');
  });

  test('a server that stalls mid-download ends in a timeout message and keeps the bytes received', async () => {
    hub.plan = [
      { kind: 'stall', afterBytes: 300_000 },
      { kind: 'stall', afterBytes: 0 },
      { kind: 'stall', afterBytes: 0 },
    ];
    const error = await failure(downloadModel(entry(), options({ idleTimeoutMs: 300, retries: 1 })));

    expect(error.message).toContain('stalled');
    expect(error.hint).toContain('resumes');
    expect(hub.requests[1].range).toMatch(/^bytes=\d+-$/);
    expect(existsSync(partialPath())).toBe(true);
    expect(existsSync(finalPath())).toBe(false);
  });

  test('too little free disk space stops before downloading and says how much is needed where', async () => {
    const error = await failure(
      downloadModel(entry(), options({ statfs: async () => ({ bavail: 10, bsize: 4096 }) })),
    );

    expect(error.message).toContain('Not enough disk space');
    expect(error.message).toContain('needs 3.1 MB');
    expect(error.message).toContain(join(modelsDir, 'tiny'));
    expect(error.hint).toContain('CMDAI_MODELS_DIR');
    expect(hub.requests).toHaveLength(0);
  });

  const linuxOnly = process.platform === 'linux' && existsSync('/dev/full') ? test : test.skip;
  linuxOnly('a disk that fills up during the download (writes fail with ENOSPC) ends in a clear message', async () => {
    // /dev/full answers every write with ENOSPC: the partial file is pointed at it.
    mkdirSync(join(modelsDir, 'tiny'), { recursive: true });
    symlinkSync('/dev/full', partialPath());
    const error = await failure(downloadModel(entry(), options()));

    expect(error.code).toBe('DOWNLOAD');
    expect(error.message).toContain('The disk filled up');
    expect(error.hint).toContain('Free space');
    expect(existsSync(finalPath())).toBe(false);
  });
});

describe('transport', () => {
  test('files are fetched from HF_ENDPOINT/{repo}/resolve/{revision}/{file}', async () => {
    await downloadModel(entry(), options({ endpoint: undefined, env: { HF_ENDPOINT: hub.url } }));

    expect(hub.requests[0].path).toBe(`/${REPO}/resolve/${REVISION}/${FILE}`);
  });

  test('progress reports bytes, a rate and the time left, ending at the full size', async () => {
    hub.throttle = { chunkBytes: 256 * 1024, delayMs: 15 };
    const seen: DownloadProgress[] = [];
    await downloadModel(entry(), options({ onProgress: (p) => seen.push(p) }));

    const last = seen[seen.length - 1];
    expect(last.receivedBytes).toBe(content.length);
    expect(last.totalBytes).toBe(content.length);
    expect(seen.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== null)).toBe(true);
  });

  describe('proxies from the environment', () => {
    let proxy: ConnectProxy;
    const saved = { ...process.env };

    beforeEach(async () => {
      proxy = await startConnectProxy();
      for (const key of PROXY_VARIABLES) delete process.env[key];
    });

    afterEach(async () => {
      process.env = { ...saved };
      await proxy.close();
    });

    test('HTTP_PROXY routes the download through the proxy', async () => {
      process.env.HTTP_PROXY = proxy.url;
      await downloadModel(entry(), options());

      expect(proxy.tunnels).toEqual([new URL(hub.url).host]);
      expect(sha256(readFileSync(finalPath()))).toBe(sha256(content));
    });

    test('NO_PROXY bypasses the proxy for the hosts it lists', async () => {
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = '127.0.0.1';
      await downloadModel(entry(), options());

      expect(proxy.tunnels).toEqual([]);
      expect(hub.requests).toHaveLength(1);
    });
  });
});
