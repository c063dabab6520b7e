// Downloading a model into the cache: resumable (HTTP Range from a `.partial` file), verified
// (sha256 before an atomic rename), locked across processes, and with errors a user can act on.
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as lockfile from 'proper-lockfile';
import { CmdaiError } from '../errors';
import { DOWNLOAD_HTTP_DEFAULTS } from '../http/defaults';
import { parseRetryAfter, retryDelay, sleep } from '../http/retry';
import { errorCode, hostOf, isNoRouteError, openStream, originOf, type StreamResponse } from '../http/transport';
import { DEFAULT_HF_ENDPOINT, fileDownloadUrl, modelTotalBytes, type ModelEntry, type ModelFileSpec } from './catalog';
import { etagValue, gitBlobSha1File, sha256File } from './hashing';
import {
  installedManifest,
  modelFolder,
  modelLoadPath,
  readManifest,
  writeManifest,
  type InstalledFile,
  type InstalledManifest,
  type VerifiedBy,
} from './installed';
import { offlineVariable } from './offline';
import { formatBytes, ProgressMeter, type DownloadProgress } from './progress';

export type { DownloadProgress } from './progress';

export interface DiskSpace {
  bavail: number;
  bsize: number;
}

export interface DownloadOptions {
  modelsDir: string;
  /** Hub base URL; defaults to HF_ENDPOINT, then https://huggingface.co. */
  endpoint?: string;
  /** Bearer token for gated repositories; defaults to HF_TOKEN. Sent to the hub's origin only. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  onProgress?: (progress: DownloadProgress) => void;
  /** Called once when another process holds the model's lock and this one starts waiting. */
  onWaitForLock?: (info: { model: string; lockPath: string }) => void;
  signal?: AbortSignal;
  /** Attempts after the first one for retryable failures (5xx, 429, resets, stalls). */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. */
  retryDelayMs?: number;
  connectTimeoutMs?: number;
  /** Time allowed until the response headers arrive. */
  responseTimeoutMs?: number;
  /** A connection silent for this long is a stall. */
  idleTimeoutMs?: number;
  /** Free space on the file system of `path`; injectable so tests can simulate a full disk. */
  statfs?: (path: string) => Promise<DiskSpace>;
  /** A lock not refreshed for this long belongs to a dead process and is taken over. */
  lockStaleMs?: number;
  userAgent?: string;
}

export interface DownloadResult {
  /** What the engine loads: the .gguf file, or the folder for MLX models. */
  path: string;
  manifest: InstalledManifest;
  /** False when another process (or an earlier run) had already installed it. */
  downloaded: boolean;
}

const DEFAULTS = {
  ...DOWNLOAD_HTTP_DEFAULTS,
  lockStaleMs: 15_000,
};

/** Room kept free beyond the download itself, so the disk is not filled to the last byte. */
const DISK_MARGIN_BYTES = 16 * 1024 * 1024;

/**
 * Installs `entry` into `options.modelsDir` unless it is already there. Two processes pulling the
 * same model serialize on a lock; the second finds the files done and returns without downloading.
 */
export async function downloadModel(entry: ModelEntry, options: DownloadOptions): Promise<DownloadResult> {
  const folder = modelFolder(options.modelsDir, entry.name);
  await mkdir(folder, { recursive: true });
  const release = await acquireModelLock(entry, options);
  try {
    const existing = await installedManifest(options.modelsDir, entry);
    if (existing) return { path: modelLoadPath(options.modelsDir, entry), manifest: existing, downloaded: false };
    const offline = offlineVariable(options.env ?? process.env);
    if (offline) {
      throw new CmdaiError('OFFLINE', `${entry.name} is not downloaded: ${offline} is set, so cmdai does not use the network.`, {
        hint: `Unset ${offline} to download it, or pass a local model file with --model.`,
      });
    }

    await checkDiskSpace(entry, folder, options);
    const previous = await readManifest(options.modelsDir, entry.name);
    const manifest: InstalledManifest = {
      name: entry.name,
      format: entry.format,
      repo: entry.repo,
      revision: entry.revision,
      url: entry.files[0]?.url,
      files: [],
    };
    for (const [index, spec] of entry.files.entries()) {
      throwIfAborted(options.signal, entry, spec, folder);
      const reusable = previous?.files.find((file) => file.path === spec.path);
      const kept = reusable && (await alreadyInPlace(folder, spec, reusable, previous, entry));
      manifest.files.push(kept ? reusable : await downloadFile(entry, spec, index, options));
      // Recorded file by file, so an interrupted multi-file pull keeps its finished files. The
      // manifest lists fewer files than the entry until the end, so it does not count as installed.
      await writeManifest(options.modelsDir, manifest);
    }
    manifest.completedAt = new Date().toISOString();
    await writeManifest(options.modelsDir, manifest);
    return { path: modelLoadPath(options.modelsDir, entry), manifest, downloaded: true };
  } finally {
    await release();
  }
}

/** A file from an earlier, interrupted pull of the same revision can be kept as it is. */
async function alreadyInPlace(
  folder: string,
  spec: ModelFileSpec,
  recorded: InstalledFile,
  previous: InstalledManifest | undefined,
  entry: ModelEntry,
): Promise<boolean> {
  if (previous?.revision !== entry.revision || previous?.url !== entry.files[0]?.url) return false;
  if (spec.sha256 !== null && spec.sha256 !== recorded.sha256) return false;
  try {
    return (await stat(join(folder, spec.path))).size === recorded.sizeBytes;
  } catch {
    return false;
  }
}

/** Deletes an installed (or half-downloaded) model, refusing while another process downloads it. */
export async function removeModel(entry: ModelEntry, modelsDir: string): Promise<{ removed: boolean; freedBytes: number }> {
  const folder = modelFolder(modelsDir, entry.name);
  await mkdir(folder, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, { lockfilePath: `${folder}.lock`, realpath: false, stale: DEFAULTS.lockStaleMs, retries: 0 });
  } catch (error) {
    if (errorCode(error) === 'ELOCKED') {
      throw new CmdaiError('USAGE', `${entry.name} is being downloaded by another cmdai process; it was not removed.`, {
        hint: 'Wait for that download to finish (or stop it), then run the command again.',
      });
    }
    throw lockError(error, `${folder}.lock`);
  }
  try {
    const freedBytes = await folderBytes(folder);
    const manifest = await readManifest(modelsDir, entry.name);
    await rm(folder, { recursive: true, force: true });
    return { removed: manifest !== undefined || freedBytes > 0, freedBytes };
  } finally {
    await release().catch(() => undefined);
  }
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const item of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (item.isFile()) total += await fileSize(join(item.parentPath ?? (item as unknown as { path: string }).path, item.name));
  }
  return total;
}

async function acquireModelLock(entry: ModelEntry, options: DownloadOptions): Promise<() => Promise<void>> {
  const folder = modelFolder(options.modelsDir, entry.name);
  const lockPath = `${folder}.lock`;
  const stale = options.lockStaleMs ?? DEFAULTS.lockStaleMs;
  let compromised: Error | undefined;
  const lockOptions = {
    lockfilePath: lockPath,
    realpath: false,
    stale,
    update: Math.max(1000, Math.floor(stale / 3)),
    // proper-lockfile's default throws from a timer; recording it lets the download fail cleanly.
    onCompromised: (error: Error) => {
      compromised = error;
    },
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, { ...lockOptions, retries: 0 });
  } catch (error) {
    if (errorCode(error) !== 'ELOCKED') throw lockError(error, lockPath);
    options.onWaitForLock?.({ model: entry.name, lockPath });
    try {
      release = await lockfile.lock(folder, {
        ...lockOptions,
        // Waits as long as the other download runs: its lock stays fresh while it is alive.
        retries: { retries: 1_000_000, factor: 1.3, minTimeout: 100, maxTimeout: 1000 },
      });
    } catch (waitError) {
      throw lockError(waitError, lockPath);
    }
  }
  return async () => {
    try {
      await release();
    } catch {
      // Already released or taken over: nothing of ours left to clean up.
    }
    if (compromised) {
      throw new CmdaiError('DOWNLOAD', `The download lock ${lockPath} was taken over while downloading ${entry.name}.`, {
        hint: 'Another cmdai process or a manual deletion removed the lock. Run the command again.',
        cause: compromised,
      });
    }
  };
}

function lockError(error: unknown, lockPath: string): CmdaiError {
  return new CmdaiError('DOWNLOAD', `Could not lock ${lockPath}: ${(error as Error).message}`, {
    hint: 'Check that the models directory is writable (set CMDAI_MODELS_DIR to use another one).',
    cause: error,
  });
}

async function checkDiskSpace(entry: ModelEntry, folder: string, options: DownloadOptions): Promise<void> {
  const { bytes } = modelTotalBytes(entry);
  let alreadyHere = 0;
  for (const spec of entry.files) {
    alreadyHere += await fileSize(join(folder, spec.path));
    alreadyHere += await fileSize(join(folder, `${spec.path}.partial`));
  }
  await requireFreeSpace(Math.max(0, bytes - alreadyHere), folder, entry.name, options);
}

async function requireFreeSpace(neededBytes: number, folder: string, model: string, options: DownloadOptions): Promise<void> {
  if (neededBytes <= 0) return;
  const space = await (options.statfs ?? statfs)(folder).catch(() => undefined);
  if (!space) return; // Unknown (unsupported file system): the write itself will report ENOSPC.
  const free = space.bavail * space.bsize;
  if (free < neededBytes + DISK_MARGIN_BYTES) {
    throw new CmdaiError('DOWNLOAD', `Not enough disk space to download ${model}: it needs ${formatBytes(neededBytes)} in ${folder}, and only ${formatBytes(free)} is free.`, {
      hint: `Free at least ${formatBytes(neededBytes + DISK_MARGIN_BYTES - free)} there, or point CMDAI_MODELS_DIR (or [models] dir in the config) at a disk with room.`,
    });
  }
}

/** Hashes the hub reported for a file, captured from the first response (before any CDN redirect). */
interface HubHashes {
  lfsSha256?: string;
  gitSha1?: string;
  linkedSize?: number;
}

interface FileContext {
  entry: ModelEntry;
  spec: ModelFileSpec;
  url: string;
  destination: string;
  partial: string;
  hasToken: boolean;
  options: DownloadOptions;
}

async function downloadFile(entry: ModelEntry, spec: ModelFileSpec, index: number, options: DownloadOptions): Promise<InstalledFile> {
  const env = options.env ?? process.env;
  const endpoint = options.endpoint ?? (env.HF_ENDPOINT?.trim() || DEFAULT_HF_ENDPOINT);
  const url = fileDownloadUrl(entry, spec, endpoint);
  const token = options.token ?? (env.HF_TOKEN?.trim() || undefined);
  // The token is for the hub; a custom URL on another host must not receive it.
  const sendToken = token !== undefined && originOf(url) === originOf(endpoint);
  const destination = join(modelFolder(options.modelsDir, entry.name), spec.path);
  const context: FileContext = {
    entry,
    spec,
    url,
    destination,
    partial: `${destination}.partial`,
    hasToken: sendToken,
    options,
  };
  await mkdir(dirname(destination), { recursive: true });

  const retries = options.retries ?? DEFAULTS.retries;
  const retryPolicy = { ...DEFAULTS, retryBaseDelayMs: options.retryDelayMs ?? DEFAULTS.retryBaseDelayMs };
  const meter = new ProgressMeter(entry.name, spec.path, index, entry.files.length, options.onProgress);
  const hub: HubHashes = {};
  for (let attempt = 0; ; attempt++) {
    const sizeBefore = await fileSize(context.partial);
    try {
      await requestOnce(context, sendToken ? token : undefined, hub, meter);
      break;
    } catch (error) {
      const failure = classify(error, context, attempt + 1);
      if (!failure.retryable || options.signal?.aborted) throw failure.error;
      // Retries count failures in a row: an attempt that added bytes before failing starts the count afresh.
      if ((await fileSize(context.partial)) > sizeBefore) attempt = 0;
      else if (attempt >= retries) throw failure.error;
      const delay = retryDelay(attempt, retryPolicy, failure.retryAfterMs);
      if (delay === undefined) throw failure.error;
      await sleep(delay, options.signal).catch((abort: unknown) => {
        throw classify(abort, context, attempt + 1).error;
      });
    }
  }
  return finishFile(context, hub);
}

/** One HTTP request, continuing from whatever the `.partial` file already holds. */
async function requestOnce(context: FileContext, token: string | undefined, hub: HubHashes, meter: ProgressMeter): Promise<void> {
  const { options, partial, url } = context;
  throwIfAborted(options.signal, context.entry, context.spec, dirname(partial));
  await discardPartialOfAnotherSource(partial, url);
  let offset = await fileSize(partial);
  const knownSize = context.spec.sizeBytes;
  if (knownSize !== null && offset > knownSize) {
    await removePartial(partial);
    offset = 0;
  }
  // Complete from an earlier run. Without a known sha256 the request is still made, to learn the hub's hash.
  if (knownSize !== null && offset === knownSize && context.spec.sha256 !== null) return;

  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'cmdai', 'accept-encoding': 'identity' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (offset > 0) headers.range = `bytes=${offset}-`;

  const response = await openStream({
    url,
    headers,
    timeouts: {
      connectMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      responseMs: options.responseTimeoutMs ?? DEFAULTS.responseTimeoutMs,
      idleMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    },
    signal: options.signal,
    followRedirect: true,
    beforeRedirect: (next, redirect) => {
      recordHubHashes(hub, redirect.headers);
      // The CDN behind the hub must not see the token (got@11 drops it as well; kept explicit).
      if (next.url.origin !== originOf(url)) delete next.headers.authorization;
    },
  });
  try {
    await receive(context, response, offset, hub, meter);
  } finally {
    response.body.destroy();
  }
}

/** Checks the response against the request and the catalog, then appends its body to the `.partial` file. */
async function receive(context: FileContext, response: StreamResponse, offset: number, hub: HubHashes, meter: ProgressMeter): Promise<void> {
  const { options, partial, url } = context;
  const knownSize = context.spec.sizeBytes;
  const request = response.body;
  recordHubHashes(hub, response.headers);
  const status = response.status;

  if (status === 416) {
    request.destroy();
    const total = contentRangeTotal(response.headers['content-range']);
    if (total !== undefined && total === offset) return; // The partial file already holds everything.
    await removePartial(partial);
    throw new RestartError(`the server refused the resume range (HTTP 416) for ${context.spec.path}`);
  }
  if (status !== 200 && status !== 206) {
    request.destroy();
    throw new HttpStatusError(status, response.headers);
  }

  let start = 0;
  let total: number | undefined;
  if (status === 206) {
    const range = parseContentRange(response.headers['content-range']);
    if (!range || range.start !== offset) {
      request.destroy();
      await removePartial(partial);
      throw new RestartError(`the server answered a different range than asked for ${context.spec.path}`);
    }
    start = offset;
    total = range.total;
  } else {
    // 200 to a Range request: the server ignores Range, so start over from byte 0.
    const length = Number(response.headers['content-length']);
    total = Number.isFinite(length) && length >= 0 ? length : undefined;
  }
  total ??= hub.linkedSize ?? knownSize ?? undefined;
  if (knownSize !== null && total !== undefined && total !== knownSize) {
    request.destroy();
    throw new CmdaiError('DOWNLOAD', `${context.spec.path} from ${hostOf(url)} is ${total} bytes, but the catalog expects ${knownSize}.`, {
      hint: 'The server is not serving the pinned file. If you use a mirror (HF_ENDPOINT), check that it is up to date.',
    });
  }
  if (total !== undefined) await requireFreeSpace(total - start, dirname(partial), context.entry.name, options);

  await writeFile(partialSourcePath(partial), JSON.stringify({ url }));
  meter.begin(start, total ?? null);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      meter.add(chunk.length);
      callback(null, chunk);
    },
  });
  await pipeline(request, counter, createWriteStream(partial, { flags: start > 0 ? 'a' : 'w' }));
  meter.flush();
  const written = await fileSize(partial);
  if (total !== undefined && written !== total) {
    throw new IncompleteError(`the connection closed after ${written} of ${total} bytes`);
  }
}

/** Verifies the finished `.partial` file and moves it into place; on a mismatch nothing is kept. */
async function finishFile(context: FileContext, hub: HubHashes): Promise<InstalledFile> {
  const { spec, partial, destination, entry } = context;
  await syncFile(partial);
  const size = await fileSize(partial);
  if (spec.sizeBytes !== null && size !== spec.sizeBytes) {
    await removePartial(partial);
    throw new CmdaiError('DOWNLOAD', `${spec.path} has ${size} bytes, expected ${spec.sizeBytes}. The download was discarded; nothing was installed.`, {
      hint: 'Run the command again. If it happens again, the server is not serving the pinned file.',
    });
  }
  const sha256 = await sha256File(partial);
  let verifiedBy: VerifiedBy;
  let expected: string | undefined;
  let hubHash: string | undefined;
  if (spec.sha256 !== null) {
    expected = spec.sha256;
    verifiedBy = entry.origin === 'config' ? 'config-sha256' : 'catalog-sha256';
  } else if (hub.lfsSha256) {
    expected = hub.lfsSha256;
    hubHash = hub.lfsSha256;
    verifiedBy = 'hub-lfs-sha256';
  } else if (hub.gitSha1) {
    hubHash = hub.gitSha1;
    verifiedBy = 'hub-git-sha1';
    const actualSha1 = await gitBlobSha1File(partial);
    if (actualSha1 !== hub.gitSha1) await rejectChecksum(context, 'git blob sha1', hub.gitSha1, actualSha1);
  } else {
    await removePartial(partial);
    throw new CmdaiError('DOWNLOAD', `Cannot verify ${spec.path} of ${entry.name}: no sha256 is known for it and ${hostOf(context.url)} reported no content hash. It was discarded.`, {
      hint: 'Add sha256 = "<64 hex digits>" for this model in the config file, or download from the Hugging Face hub, which reports one.',
    });
  }
  if (expected !== undefined && expected !== sha256) await rejectChecksum(context, 'sha256', expected, sha256);

  await rename(partial, destination);
  await rm(partialSourcePath(partial), { force: true });
  await syncDirectory(dirname(destination));
  return { path: spec.path, sizeBytes: size, sha256, verifiedBy, hubHash, verifiedAt: new Date().toISOString() };
}

/** Beside each `.partial` file: the URL its bytes came from. */
function partialSourcePath(partial: string): string {
  return `${partial}.json`;
}

async function removePartial(partial: string): Promise<void> {
  await rm(partial, { force: true });
  await rm(partialSourcePath(partial), { force: true });
}

/** Bytes fetched from another URL (another revision, after a cmdai upgrade) cannot be resumed. */
async function discardPartialOfAnotherSource(partial: string, url: string): Promise<void> {
  let source: { url?: unknown } | undefined;
  try {
    source = JSON.parse(await readFile(partialSourcePath(partial), 'utf8')) as { url?: unknown };
  } catch {
    return; // No record (older partial, or none at all): keep what is there.
  }
  if (source?.url !== url) {
    await removePartial(partial);
  }
}

async function rejectChecksum(context: FileContext, kind: string, expected: string, actual: string): Promise<never> {
  await removePartial(context.partial);
  throw new CmdaiError('DOWNLOAD', `Checksum mismatch for ${context.spec.path} of ${context.entry.name}: expected ${kind} ${expected}, got ${actual}. The download was discarded; nothing was installed.`, {
    hint: 'Run the command again. If it keeps failing, the server (or the mirror in HF_ENDPOINT) is serving a different file than the pinned one.',
  });
}

class HttpStatusError extends Error {
  constructor(readonly status: number, readonly headers: Record<string, string | string[] | undefined>) {
    super(`HTTP ${status}`);
  }
}

/** The partial file was unusable and was deleted: retrying starts from byte 0. */
class RestartError extends Error {}

/** The body ended early: retrying resumes from the partial file. */
class IncompleteError extends Error {}

interface Failure {
  retryable: boolean;
  error: CmdaiError;
  /** The server's Retry-After (429, 503), waited for instead of the backoff when longer. */
  retryAfterMs?: number;
}

function classify(error: unknown, context: FileContext, attempts: number): Failure {
  const { entry, spec, url } = context;
  const host = hostOf(url);
  const what = entry.repo ? `${entry.repo}/${spec.path} at revision ${entry.revision}` : url;
  const keptNote = ' Downloaded bytes are kept and the next run resumes from them.';
  if (error instanceof CmdaiError) return { retryable: false, error };
  if (context.options.signal?.aborted || (error as Error)?.name === 'AbortError') {
    return {
      retryable: false,
      error: new CmdaiError('ABORTED', `Download of ${entry.name} interrupted. The partial file ${context.partial} is kept; run the same command to resume.`),
    };
  }
  if (error instanceof HttpStatusError) {
    const status = error.status;
    if (status === 404) {
      return {
        retryable: false,
        error: new CmdaiError('DOWNLOAD', `Not found: ${what} (HTTP 404 from ${host}).`, {
          hint: 'Check the model name, repository, file and revision (cmdai model list shows the catalog); with a mirror, check HF_ENDPOINT.',
        }),
      };
    }
    if (status === 401 || status === 403) return { retryable: false, error: authError(status, context, what) };
    if (status === 429 || status >= 500) {
      return {
        retryable: true,
        retryAfterMs: parseRetryAfter(error.headers['retry-after']),
        error: new CmdaiError('DOWNLOAD', `${host} kept failing (HTTP ${status}) for ${spec.path} after ${attempts} attempt${attempts === 1 ? '' : 's'}.`, {
          hint: `The server is busy or down; try again later.${keptNote}`,
        }),
      };
    }
    return {
      retryable: false,
      error: new CmdaiError('DOWNLOAD', `${host} answered HTTP ${status} for ${what}.`, { hint: 'Check the model source in the catalog or config file.' }),
    };
  }
  if (error instanceof RestartError || error instanceof IncompleteError) {
    return {
      retryable: true,
      error: new CmdaiError('DOWNLOAD', `Download of ${spec.path} did not complete: ${error.message} (after ${attempts} attempts).`, {
        hint: `Check your connection and run the command again.${keptNote}`,
      }),
    };
  }
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return {
      retryable: false,
      error: new CmdaiError('DOWNLOAD', `The disk filled up while downloading ${spec.path} into ${dirname(context.destination)}.`, {
        hint: `It needs ${formatBytes(modelTotalBytes(entry).bytes)} in total. Free space there or set CMDAI_MODELS_DIR to a disk with room; the partial file is kept and will resume.`,
        cause: error,
      }),
    };
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return {
      retryable: false,
      error: new CmdaiError('DOWNLOAD', `Cannot write to ${dirname(context.destination)} (${code}).`, {
        hint: 'Make the directory writable or set CMDAI_MODELS_DIR to one that is.',
        cause: error,
      }),
    };
  }
  if (isNoRouteError(error)) {
    return {
      retryable: false,
      error: new CmdaiError('OFFLINE', `Cannot reach ${host} (${code}): this machine seems to be offline.`, {
        hint: 'Connect to the network (or set HTTPS_PROXY), or pass a local GGUF file with --model /path/to/model.gguf.',
        cause: error,
      }),
    };
  }
  if (code === 'ETIMEDOUT' || (error as Error)?.name === 'TimeoutError') {
    return {
      retryable: true,
      error: new CmdaiError('DOWNLOAD', `The download of ${spec.path} from ${host} stalled: no data within the time limit (${attempts} attempts).`, {
        hint: `Check your connection or proxy and run the command again.${keptNote}`,
        cause: error,
      }),
    };
  }
  return {
    retryable: true,
    error: new CmdaiError('DOWNLOAD', `Download of ${spec.path} from ${host} failed after ${attempts} attempts: ${(error as Error)?.message ?? String(error)}.`, {
      hint: `Check your connection and run the command again.${keptNote}`,
      cause: error,
    }),
  };
}

function authError(status: number, context: FileContext, what: string): CmdaiError {
  const repoPage = context.entry.repo ? `https://huggingface.co/${context.entry.repo}` : hostOf(context.url);
  if (!context.hasToken) {
    return new CmdaiError('DOWNLOAD', `${what} needs authorization (HTTP ${status} from ${hostOf(context.url)}).`, {
      hint: `Set HF_TOKEN to a Hugging Face access token, and if the repository is gated accept its license at ${repoPage}.`,
    });
  }
  if (status === 401) {
    return new CmdaiError('DOWNLOAD', `The hub rejected HF_TOKEN for ${what} (HTTP 401): the token is invalid or expired.`, {
      hint: 'Create a new access token at https://huggingface.co/settings/tokens and set HF_TOKEN to it.',
    });
  }
  return new CmdaiError('DOWNLOAD', `HF_TOKEN does not give access to ${what} (HTTP 403).`, {
    hint: `Accept the model's license at ${repoPage} with the account that owns the token, or use a token with read access to that repository.`,
  });
}

function recordHubHashes(hub: HubHashes, headers: Record<string, string | string[] | undefined>): void {
  const linked = etagValue(headers['x-linked-etag']);
  if (linked && /^[0-9a-f]{64}$/.test(linked)) hub.lfsSha256 ??= linked;
  const linkedSize = Number(headers['x-linked-size']);
  if (Number.isInteger(linkedSize) && linkedSize > 0) hub.linkedSize ??= linkedSize;
  // Only the hub's own git-blob ETag counts; a CDN's ETag is something else.
  const etag = etagValue(headers.etag);
  if (etag && /^[0-9a-f]{40}$/.test(etag) && headers['x-repo-commit'] !== undefined) hub.gitSha1 ??= etag;
}

function parseContentRange(header: string | string[] | undefined): { start: number; total?: number } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i);
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function contentRangeTotal(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^bytes\s+\*\/(\d+)$/i);
  return match ? Number(match[1]) : undefined;
}

function throwIfAborted(signal: AbortSignal | undefined, entry: ModelEntry, spec: ModelFileSpec, folder: string): void {
  if (!signal?.aborted) return;
  throw new CmdaiError('ABORTED', `Download of ${entry.name} interrupted before ${spec.path}. Files already in ${folder} are kept; run the same command to resume.`);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename durable on POSIX; directories cannot be opened for sync on Windows. */
async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: some file systems refuse fsync on directories.
  }
}

