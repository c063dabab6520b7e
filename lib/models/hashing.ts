// Content hashes for verifying downloads: sha256 (catalog values and the hub's LFS oid) and the
// git blob sha1 the hub reports as the ETag of small files that are not stored in LFS.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha1 of "blob <size>\0<content>": the id git gives the file, which the hub sends as ETag. */
export async function gitBlobSha1File(path: string): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha1');
  hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The hash inside an ETag header value: strips `W/` and quotes; undefined when absent. */
export function etagValue(header: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return undefined;
  return raw.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}
