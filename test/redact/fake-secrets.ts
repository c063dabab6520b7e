// Fake secrets in the shapes of real ones, made up here from a seeded generator: right prefixes,
// alphabets and lengths, never a real credential. Each comes with the way it usually shows up in
// text (a config line, a command, a URL), so the tests redact them where people paste them.

/** Small deterministic generator (mulberry32), so a failure names the same values every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = ALNUM + '+/';
const BASE64URL = ALNUM + '-_';
const HEX = '0123456789abcdef';

export interface FakeSecret {
  /** What kind of secret, for failure messages. */
  label: string;
  /** The secret value itself: it must not reach a remote backend. */
  value: string;
  /** The secret as it appears in text someone would pipe or type. */
  inText: string;
  /** Whether the value fits in a directory name (no slash, no newline, not too long). */
  pathSafe: boolean;
  /** Whether the value alone has a recognisable shape (a prefix, a structure), without its setting. */
  shaped: boolean;
}

export function makeFakeSecrets(seed = 13): FakeSecret[] {
  const random = seededRandom(seed);
  const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const pem = (label: string, lines: number) => {
    const body = Array.from({ length: lines }, () => pick(BASE64, 64)).join('\n');
    return `-----BEGIN ${label}-----\n${body}\n${pick(BASE64, 24)}==\n-----END ${label}-----`;
  };
  const secrets: FakeSecret[] = [];
  const add = (label: string, value: string, inText: (value: string) => string = (v) => v, shaped = true) => {
    secrets.push({ label, value, inText: inText(value), pathSafe: !/[/\n\\]/.test(value) && value.length < 120, shaped });
  };

  add('AWS access key id', 'AKIA' + pick(UPPER + '234567', 16), (v) => `aws_access_key_id = ${v}`);
  add('AWS temporary access key id', 'ASIA' + pick(UPPER + '234567', 16));
  add('AWS secret access key', pick(BASE64, 40), (v) => `aws_secret_access_key = ${v}`, false);
  add('GitHub classic token', 'ghp_' + pick(ALNUM, 36), (v) => `export GH_AUTH=${v}`);
  add('GitHub OAuth token', 'gho_' + pick(ALNUM, 36));
  add('GitHub app token', 'ghs_' + pick(ALNUM, 36), (v) => `git clone https://x-access-token:${v}@github.com/acme/app.git`);
  add('GitHub fine-grained token', 'github_pat_' + pick(ALNUM, 22) + '_' + pick(ALNUM, 59));
  add('GitLab personal token', 'glpat-' + pick(ALNUM + '-_', 20), (v) => `curl --header "PRIVATE-TOKEN: ${v}" https://gitlab.example.com/api/v4/projects`);
  add('GitLab runner token', 'glrt-' + pick(ALNUM + '-_', 20));
  add('Slack bot token', `xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${pick(ALNUM, 24)}`, (v) => `SLACK_BOT=${v}`);
  add('Slack user token', `xoxp-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${pick(HEX, 32)}`);
  add('Slack webhook', `https://hooks.slack.com/services/T${pick(UPPER + DIGITS, 8)}/B${pick(UPPER + DIGITS, 10)}/${pick(ALNUM, 24)}`, (v) => `curl -X POST -d '{"text":"deploy done"}' ${v}`);
  add('OpenAI key (legacy)', 'sk-' + pick(ALNUM, 20) + 'T3BlbkFJ' + pick(ALNUM, 20));
  add('OpenAI project key', 'sk-proj-' + pick(BASE64URL, 48) + 'T3BlbkFJ' + pick(BASE64URL, 48), (v) => `OPENAI=${v}`);
  add('Anthropic key', 'sk-ant-api03-' + pick(BASE64URL, 93) + 'AA');
  add('Hugging Face token', 'hf_' + pick(UPPER + LOWER, 34), (v) => `huggingface-cli login --token ${v}`);
  add('JWT', `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: pick(DIGITS, 10), name: 'Fake User', iat: 1_700_000_000 })}.${pick(BASE64URL, 43)}`, (v) => `curl -H "Authorization: Bearer ${v}" https://api.example.com/me`);
  add('RSA private key', pem('RSA PRIVATE KEY', 6));
  add('OpenSSH private key', pem('OPENSSH PRIVATE KEY', 5));
  add('PKCS#8 key in a service-account JSON', pem('PRIVATE KEY', 4).replace(/\n/g, '\\n'), (v) => `{"type": "service_account", "private_key_id": "${pick(HEX, 40)}", "private_key": "${v}"}`);
  add('password in a database URL', pick(ALNUM, 16), (v) => `psql postgres://app_user:${v}@db.internal:5432/orders`, false);
  add('password in a redis URL', pick(ALNUM, 20) + '!', (v) => `REDIS_URL=redis://default:${v}@cache.internal:6379/0`, false);
  add('password= in a .env file', pick(ALNUM, 14), (v) => `DB_PASSWORD=${v}`, false);
  add('client_secret in YAML', pick(BASE64URL, 32), (v) => `oauth:\n  client_id: web-app\n  client_secret: ${v}`, false);
  add('apiKey in JSON', pick(HEX, 32), (v) => `{"service": "maps", "apiKey": "${v}"}`, false);
  add('--password flag', 'Tr0ub4dor&' + pick(DIGITS, 4), (v) => `mysql --user=root --password '${v}' shop`, false);
  add('secret= in a query string', pick(ALNUM, 24), (v) => `https://hooks.example.com/notify?channel=ops&secret=${v}`, false);
  add('Basic auth header', Buffer.from(`admin:${pick(ALNUM, 12)}`).toString('base64'), (v) => `Authorization: Basic ${v}`, false);
  add('Google API key', 'AIza' + pick(ALNUM + '-_', 35));
  add('Stripe live key', 'sk_live_' + pick(ALNUM, 24), (v) => `STRIPE=${v}`);
  add('npm token', 'npm_' + pick(ALNUM, 36), (v) => `//registry.npmjs.org/:_authToken=${v}`);
  add('SendGrid key', `SG.${pick(BASE64URL, 22)}.${pick(BASE64URL, 43)}`);
  add('PyPI token', 'pypi-AgEIcHlwaS5vcmc' + pick(BASE64URL, 60));
  add('DigitalOcean token', 'dop_v1_' + pick(HEX, 64));
  add('passphrase assignment', pick(LOWER, 8) + '-' + pick(LOWER, 8), (v) => `passphrase: "${v}"`, false);
  return secrets;
}

/** Secrets known only because of the variable holding them: no recognisable format. */
export function makeEnvSecrets(seed = 31): Array<{ name: string; value: string }> {
  const random = seededRandom(seed);
  const pick = (length: number) => Array.from({ length }, () => ALNUM[Math.floor(random() * ALNUM.length)]).join('');
  return [
    { name: 'ACME_API_KEY', value: pick(28) },
    { name: 'DEPLOY_TOKEN', value: pick(32) },
    { name: 'DATABASE_PASSWORD', value: pick(18) },
    { name: 'webhookSecret', value: pick(24) },
  ];
}
