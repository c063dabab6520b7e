// Secret redaction: every format is found where people paste it, ordinary text is left alone,
// and placeholders go back to the original values.
import type { GenerateRequest, GenerateResult, InferenceBackend } from '../../lib/backends/types';
import { isSecretEnvName, redactSecrets, SecretRedactor, withSecretRedaction } from '../../lib/redact';
import { makeEnvSecrets, makeFakeSecrets } from './fake-secrets';

const secrets = makeFakeSecrets();

test('the fake secret list covers at least 30 secrets', () => {
  expect(secrets.length).toBeGreaterThanOrEqual(30);
});

describe.each(secrets.map((s) => [s.label, s] as const))('%s', (_label, secret) => {
  test('is replaced in the text it usually appears in', () => {
    const text = `Here is what I have:\n${secret.inText}\nthanks`;
    const redacted = redactSecrets(text, { env: {} });
    expect(redacted.text).not.toContain(secret.value);
    expect(redacted.secrets).toBeGreaterThanOrEqual(1);
    expect(redacted.text).toMatch(/<redacted-[a-z0-9-]+-\d+>/);
    expect(redacted.text).toContain('Here is what I have:');
  });

  // Secrets recognised by what they are assigned to are only secrets in that setting.
  if (secret.shaped) {
    test('is replaced on its own, by its shape', () => {
      expect(redactSecrets(`use ${secret.value} here`, { env: {} }).text).not.toContain(secret.value);
      expect(redactSecrets(`/home/u/${secret.value}/src`, { env: {} }).text).not.toContain(secret.value);
    });
  }
});

test('the values of environment variables whose names say KEY, TOKEN, SECRET or PASSWORD are redacted anywhere', () => {
  const envSecrets = makeEnvSecrets();
  const env = Object.fromEntries(envSecrets.map((s) => [s.name, s.value]));
  const text = envSecrets.map((s) => `the value is ${s.value}.`).join('\n');
  const redacted = redactSecrets(text, { env: { ...env, HOME: '/home/someone', PATH: '/usr/bin:/bin' } });
  for (const s of envSecrets) expect(redacted.text).not.toContain(s.value);
  expect(redacted.secrets).toBe(envSecrets.length);
});

test('secret-looking variable names are told from others', () => {
  for (const name of ['API_KEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'GPG_PASSPHRASE', 'openaiApiKey', 'NPM_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS_JSON'.replace('_JSON', '')]) {
    expect([name, isSecretEnvName(name)]).toEqual([name, true]);
  }
  for (const name of ['HOME', 'PATH', 'PWD', 'OLDPWD', 'KEYBOARD_LAYOUT', 'SSH_AUTH_SOCK', 'TOKEN_FILE', 'PASSWORD_LENGTH', 'MONKEY', 'LANG', 'TERM']) {
    expect([name, isSecretEnvName(name)]).toEqual([name, false]);
  }
});

test('short or non-secret environment values are not redacted', () => {
  const redacted = redactSecrets('ls -la && echo 1 && echo true', { env: { FEATURE_TOKEN: '1', SOME_SECRET: 'true', MY_KEY: 'ls' } });
  expect(redacted).toEqual({ text: 'ls -la && echo 1 && echo true', secrets: 0 });
});

test('ordinary text, commands and references to secrets are left alone', () => {
  const ordinary = [
    'find . -name "*.log" -size +100M -delete',
    'pip install scikit-learn && python -m sk-learn-demo',
    'the token count is 5 and the key is to be careful',
    'export GITHUB_TOKEN=$GITHUB_TOKEN',
    'curl -H "Authorization: Bearer ${API_TOKEN}" https://api.example.com',
    'password=<your password here>',
    'TOKEN_FILE=/run/secrets/token',
    'git log --author="ghp" --since=2.weeks',
    'docker login -u me --password-stdin < ~/.docker/pass',
    'aws secretsmanager get-secret-value --secret-id prod/db',
    'Working directory: /home/u/project',
    'const password: string = readPassword();',
    'https://example.com/path?page=2&sort=desc',
    'ssh://git@github.com/acme/app.git',
  ];
  for (const text of ordinary) expect(redactSecrets(text, { env: {} })).toEqual({ text, secrets: 0 });
});

test('a private key cut off before its END line is redacted to the end of the text', () => {
  const text = 'log:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACD';
  const redacted = redactSecrets(text, { env: {} });
  expect(redacted.text).toBe('log:\n<redacted-private-key-1>');
});

test('the same secret gets the same placeholder every time, and restore puts the originals back', () => {
  const token = secrets.find((s) => s.label === 'GitHub classic token')!.value;
  const redactor = new SecretRedactor({ env: {} });
  const first = redactor.redact(`use ${token}`);
  const second = redactor.redact(`again ${token} and ${token}`);
  const placeholder = /<redacted-github-token-\d+>/.exec(first.text)![0];
  expect(second.text).toBe(`again ${placeholder} and ${placeholder}`);
  expect(redactor.count).toBe(1);
  expect(redactor.restore(`git push https://${placeholder}@github.com/a/b`)).toBe(`git push https://${token}@github.com/a/b`);
  expect(redactor.restore('<redacted-github-token-99> is not ours')).toBe('<redacted-github-token-99> is not ours');
});

test('restoring into JSON escapes quotes and backslashes so the answer stays valid JSON', () => {
  const redactor = new SecretRedactor({ env: {} });
  const { text } = redactor.redact(`password='q"w\\e"rty'`);
  expect(text).not.toContain('rty');
  const placeholder = /<redacted-[a-z-]+-\d+>/.exec(text)![0];
  const answer = JSON.stringify({ command: `mysql -p'${placeholder}'`, explanation: 'x' });
  expect(JSON.parse(redactor.restore(answer, { json: true })).command).toBe(`mysql -p'q"w\\e"rty'`);
});

test('a long run of identifier characters is scanned in linear time', () => {
  const text = 'a'.repeat(200_000) + ' password_' + 'b'.repeat(200_000);
  const started = process.hrtime.bigint();
  redactSecrets(text, { env: {} });
  // Not a speed assertion: a quadratic scan of 400,000 characters would not finish in a test's lifetime.
  expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(60);
});

describe('withSecretRedaction', () => {
  class RecordingBackend implements InferenceBackend {
    readonly name = 'recording';
    readonly requests: GenerateRequest[] = [];
    constructor(private readonly answer: (request: GenerateRequest) => string) {}
    async status() {
      return { backend: this.name, available: true, detail: 'records' };
    }
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      this.requests.push(request);
      return { text: this.answer(request), backend: this.name, model: 'm', stopReason: 'eos', timings: { loadMs: 0, timeToFirstTokenMs: 0, generationMs: 0, totalMs: 0 } };
    }
    async dispose() {}
  }

  test('every message is redacted, the answer restored, and the count reported without the values', async () => {
    const key = secrets.find((s) => s.label === 'OpenAI project key')!.value;
    const jwt = secrets.find((s) => s.label === 'JWT')!.value;
    const inner = new RecordingBackend((request) => {
      const placeholders = [...new Set(JSON.stringify(request.messages).match(/<redacted-[a-z0-9-]+-\d+>/g) ?? [])];
      return JSON.stringify({ command: `curl -H "Authorization: Bearer ${placeholders.join(' ')}"`, explanation: 'uses them' });
    });
    const counts: number[] = [];
    const backend = withSecretRedaction(inner, { env: {}, onRedacted: (count) => counts.push(count) });
    const result = await backend.generate({
      messages: [
        { role: 'system', content: 'You are cmdai.' },
        { role: 'user', content: `Working directory: /tmp/${jwt}\nRequest: call the API with ${key}` },
      ],
      jsonSchema: {},
    });
    const sent = JSON.stringify(inner.requests[0].messages);
    expect(sent).not.toContain(key);
    expect(sent).not.toContain(jwt);
    expect(counts).toEqual([2]);
    const command = JSON.parse(result.text).command as string;
    expect(command).toContain(key);
    expect(command).toContain(jwt);
    expect(command).not.toMatch(/<redacted-/);
  });
});
