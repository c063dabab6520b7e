// A throwaway npm registry on 127.0.0.1 that serves cmdai's run-time dependencies, so the
// packaging tests install the tarball the way a user would (`npm i -g`, `npx`) while nothing is
// downloaded from the internet. Each dependency is re-packed from this checkout's node_modules
// (the versions package-lock.json pins); npm resolves the tarball's semver ranges against them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface LocalRegistry {
  url: string;
  /** Every path npm asked for, to explain a failed install. */
  requests: string[];
  close(): Promise<void>;
}

interface LockEntry {
  name?: string;
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
}

interface PackResult {
  name: string;
  version: string;
  filename: string;
  integrity: string;
}

/** The installed folders of every non-dev package in package-lock.json, plus `extra` ones. */
function runtimeDependencyDirs(repoRoot: string, extra: string[]): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const dirs: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev || entry.devOptional || entry.link) continue;
    const dir = path.join(repoRoot, key);
    if (fs.existsSync(path.join(dir, 'package.json'))) dirs.push(dir);
  }
  for (const key of extra) {
    const dir = path.join(repoRoot, key);
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** `extraPackages`: more node_modules folders to serve (e.g. a consumer's dev dependency). */
export async function startLocalRegistry(repoRoot: string, workDir: string, extraPackages: string[] = []): Promise<LocalRegistry> {
  const tarballDir = path.join(workDir, 'registry-tarballs');
  fs.mkdirSync(tarballDir, { recursive: true });
  const dirs = runtimeDependencyDirs(repoRoot, extraPackages);
  // One `npm pack` for all of them; each argument is a folder (./ prefix), so nothing is fetched.
  const packed = spawnSync(
    'npm',
    ['pack', ...dirs.map((d) => `./${path.relative(repoRoot, d)}`), '--json', '--ignore-scripts', '--pack-destination', tarballDir],
    { cwd: repoRoot, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (packed.status !== 0) throw new Error(`packing the dependencies for the local registry failed:\n${packed.stderr}`);
  const results = JSON.parse(packed.stdout) as PackResult[];

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const packuments = new Map<string, { name: string; 'dist-tags': { latest: string }; versions: Record<string, unknown> }>();
  results.forEach((r, i) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dirs[i], 'package.json'), 'utf8')) as Record<string, unknown>;
    const doc = packuments.get(r.name) ?? { name: r.name, 'dist-tags': { latest: r.version }, versions: {} };
    doc.versions[r.version] = {
      ...manifest,
      name: r.name,
      version: r.version,
      dist: { tarball: `${url}-/tarballs/${encodeURIComponent(r.filename)}`, integrity: r.integrity },
    };
    if (compareVersions(r.version, doc['dist-tags'].latest) > 0) doc['dist-tags'].latest = r.version;
    packuments.set(r.name, doc);
  });

  const requests: string[] = [];
  server.on('request', (req, res) => {
    const reqPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(`${req.method} ${reqPath}`);
    if (reqPath.startsWith('/-/tarballs/')) {
      const file = path.join(tarballDir, path.basename(reqPath));
      if (fs.existsSync(file)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        fs.createReadStream(file).pipe(res);
        return;
      }
    } else {
      const doc = packuments.get(reqPath.slice(1));
      if (doc) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `not served by the test registry: ${reqPath}` }));
  });

  return {
    url,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number(x) || 0);
  const pb = b.split(/[.-]/).map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
