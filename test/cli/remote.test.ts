// The CLI over the OpenAI-compatible backend, against a small server on 127.0.0.1 that answers
// with fixed text: the wiring from flags to backend, and what happens to answers that are not
// the JSON object asked for (a generation error, never scraped).
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cliPath, ensureBuilt, expectNoStackTrace, isolatedEnv } from './helpers';

let server: http.Server;
let endpoint: string;
let reply = '';
const requests: { url?: string; body: string }[] = [];

beforeAll(async () => {
  ensureBuilt();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ url: req.url, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/models') {
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'fixed-model', object: 'model', owned_by: 'test' }] }));
      } else if (req.url === '/v1/chat/completions') {
        res.end(JSON.stringify({ model: 'fixed-model', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: isolatedEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end();
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('--backend openai --endpoint sends the request there and --json names the backend', async () => {
  reply = JSON.stringify({ command: 'ls -la | grep "a b"', explanation: 'Lists files.' });
  const run = await runCli(['--backend', 'openai', '--endpoint', endpoint, '--json', 'list files']);
  expect(run.status).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result).toMatchObject({ command: 'ls -la | grep "a b"', explanation: 'Lists files.', model: 'fixed-model' });
  expect(result.backend).toMatch(/openai/);
  const chat = JSON.parse(requests.filter((r) => r.url === '/v1/chat/completions').at(-1)!.body);
  expect(chat.messages[0].role).toBe('system');
  expect(JSON.stringify(chat)).toContain('"command"'); // the output schema travels with the request
});

test('an answer that is not the JSON object asked for is a generation error (exit 1), not scraped', async () => {
  reply = 'Sure! Run `ls -la` to list the files.';
  const run = await runCli(['--backend', 'openai', '--endpoint', endpoint, '--print', 'list files']);
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain("The model's answer was not valid JSON.");
  expectNoStackTrace(run.stderr);
});
