// Secrets never leave the machine: the real CLI talks to a real HTTP server on 127.0.0.1 that
// records every byte it receives. Fake secrets of every format are put in the request, in the
// piped context, in the working directory's path and in secret-named environment variables; none
// may arrive, and the command shown must carry the original values where the model used the
// placeholders.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath, ensureBuilt, expectNoStackTrace, isolatedEnv } from '../cli/helpers';
import { makeEnvSecrets, makeFakeSecrets, type FakeSecret } from './fake-secrets';

interface Received {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let endpoint: string;
const received: Received[] = [];
let workRoot: string;

// The "model": answers with a command that uses every placeholder it was sent, the way a model
// refers to a value it was given.
function answer(body: string): string {
  const placeholders = [...new Set(body.match(/<redacted-[a-z0-9-]+-\d+>/g) ?? [])];
  const command = `printf '%s\\n' ${placeholders.map((p) => `'${p}'`).join(' ')}`;
  return JSON.stringify({ command, explanation: `Prints ${placeholders.length} values.` });
}

beforeAll(async () => {
  ensureBuilt();
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/models') {
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'recorder', object: 'model', owned_by: 'test' }] }));
      } else if (req.url === '/v1/chat/completions') {
        const content = answer(body);
        res.end(JSON.stringify({ model: 'recorder', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdai-redact-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(workRoot, { recursive: true, force: true });
});

function runCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; input: string }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: options.env, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end(options.input);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every way a value could show up in what the server received: as is, or escaped inside JSON. */
function leaks(value: string, text: string): boolean {
  return text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1));
}

test('no secret from the request, the piped context, the working directory or the environment reaches the server', async () => {
  const secrets = makeFakeSecrets();
  const envSecrets = makeEnvSecrets();
  const inRequest: FakeSecret[] = [];
  const inContext: FakeSecret[] = [];
  const inPath: FakeSecret[] = [];
  // Directory names hold secrets recognisable by their shape; the others keep their setting.
  secrets.forEach((secret, i) => {
    if (secret.shaped && secret.pathSafe && i % 3 === 0) inPath.push(secret);
    else (i % 2 === 0 ? inRequest : inContext).push(secret);
  });
  let cwd = workRoot;
  for (const secret of inPath) cwd = path.join(cwd, secret.value);
  fs.mkdirSync(cwd, { recursive: true });

  const request = `Set up deploys with these settings:\n${inRequest.map((s) => s.inText).join('\n')}\nand the deploy token ${envSecrets[1].value}`;
  const context = [
    '# notes pasted from the wiki',
    ...inContext.map((s) => s.inText),
    `api key for acme: ${envSecrets[0].value}`,
    `db: ${envSecrets[2].value} / hook ${envSecrets[3].value}`,
  ].join('\n');
  expect(request.length).toBeLessThan(4000);
  expect(inRequest.length + inContext.length + inPath.length).toBeGreaterThanOrEqual(30);
  expect(inRequest.length).toBeGreaterThan(5);
  expect(inContext.length).toBeGreaterThan(5);
  expect(inPath.length).toBeGreaterThan(5);

  const env = isolatedEnv(Object.fromEntries(envSecrets.map((s) => [s.name, s.value])));
  const run = await runCli(['--backend', 'openai', '--endpoint', endpoint, '--json', '--verbose', request], { env, cwd, input: context });
  expectNoStackTrace(run.stderr);
  expect([0, 3]).toContain(run.status); // the command is printed whatever its rating
  const result = JSON.parse(run.stdout);
  expect(result.context).toEqual({ bytes: Buffer.byteLength(context), truncated: false });

  const chats = received.filter((r) => r.url === '/v1/chat/completions');
  expect(chats).toHaveLength(1);
  const sent = JSON.parse(chats[0].body) as { messages: Array<{ content: string }> };
  // The request, the context and the working directory did travel, only without the secrets.
  const user = sent.messages[sent.messages.length - 1].content;
  expect(user).toContain('Set up deploys with these settings:');
  expect(user).toContain('# notes pasted from the wiki');
  expect(user).toContain(`Working directory: ${workRoot}`);

  const everything = received.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n');
  const allValues = [...secrets.map((s) => ({ label: s.label, value: s.value })), ...envSecrets.map((s) => ({ label: `$${s.name}`, value: s.value }))];
  const leaked = allValues.filter(({ value }) => leaks(value, everything)).map(({ label }) => label);
  expect(leaked).toEqual([]);

  // The answer used the placeholders; the command shown has the original values back.
  const missing = allValues.filter(({ value }) => !result.command.includes(value)).map(({ label }) => label);
  expect(missing).toEqual([]);
  expect(result.command).not.toMatch(/<redacted-/);

  // --verbose says how many, never what.
  const count = /cmdai: (\d+) secrets redacted from the request to openai/.exec(run.stderr);
  expect(count).not.toBeNull();
  expect(Number(count![1])).toBeGreaterThanOrEqual(allValues.length);
  for (const { value } of allValues) expect(run.stderr.includes(value)).toBe(false);
});
