// What a secret looks like: known token formats, credentials in URLs and headers, and values
// assigned to names that say they are secret. Each rule finds spans; the secret is the named group
// `secret` when there is one, else the whole match. Patterns are anchored on distinctive prefixes
// or on the name they are assigned to, so ordinary text is left alone.

export interface SecretRule {
  /** Stable id, also the kind shown in the placeholder (`<redacted-github-token-1>`). */
  id: string;
  pattern: RegExp;
  /** Values this rule must not take for a secret (variable references, placeholders, booleans). */
  ignoreValue?: (value: string) => boolean;
}

/** Words whose value names where a secret is, or describes it, rather than being it. */
const DESCRIPTIVE_LAST_PART = /(?:^|[_.-])(?:file|path|dir|type|length|size|count|name|id|env|ttl|expiry|expires(?:_in)?|endpoint|header|field|url|uri|prefix|suffix|format|mode|policy|limit|budget|usage)$/i;

/** Not a secret value: a reference to one, a placeholder, or a word like `true`. */
export function isNotSecretValue(value: string): boolean {
  const v = value.trim();
  if (v.length < 4) return true;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return true; // $TOKEN, ${TOKEN}
  if (/^%[A-Za-z_][A-Za-z0-9_]*%$/.test(v)) return true; // %TOKEN%
  if (/^\$\(.*\)$/.test(v) || /^`.*`$/.test(v)) return true; // $(pass show x)
  if (/^(?:process\.env|os\.environ|env)\b/.test(v)) return true;
  if (/^<[^<>]*>?$/.test(v) || /^\{\{.*\}\}$/.test(v) || /^\*+$/.test(v) || /^x{4,}$/i.test(v)) return true; // <token>, {{ secret }}, ****
  if (/^(?:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|string|str|bool|boolean|number|int|bytes|secret|password|token|changeme|example)$/i.test(v)) return true;
  return false;
}

const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|account[_-]?key|auth[_-]?key|signing[_-]?key|encryption[_-]?key|credentials?)[A-Za-z0-9_.-]*`;

export const SECRET_RULES: readonly SecretRule[] = [
  // A key block, to its END line or, when that was cut off, to the end of the text.
  { id: 'private-key', pattern: /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { id: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g },
  { id: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,247})\b/g },
  { id: 'gitlab-token', pattern: /\b(?:(?:glpat|gldt|glrt|glcbt|glptt|glft|glimt|glsoat|glffct|gloas|glagent)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})/g },
  { id: 'slack-token', pattern: /\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+)\b/g },
  { id: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/g },
  // OpenAI (sk-..., sk-proj-..., sk-svcacct-...) and Anthropic (sk-ant-...) keys share the prefix.
  { id: 'api-key', pattern: /\bsk-[A-Za-z0-9_-]{32,}/g },
  { id: 'huggingface-token', pattern: /\b(?:hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,})\b/g },
  { id: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { id: 'stripe-key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,}\b/g },
  { id: 'sendgrid-key', pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g },
  { id: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { id: 'pypi-token', pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { id: 'digitalocean-token', pattern: /\bdo[opr]_v1_[a-f0-9]{64}\b/g },
  { id: 'shopify-token', pattern: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g },
  { id: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  // scheme://user:password@host: the password goes, the user and host stay.
  { id: 'url-password', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"]+:(?<secret>[^\s/?#@'"]+)@/gi },
  { id: 'auth-header', pattern: /\b(?:Proxy-)?Authorization\s*:\s*(?:Bearer|Basic|Token|Bot|Digest)\s+(?<secret>[A-Za-z0-9._~+/=-]{8,})/gi },
  // --password hunter2, --api-key=..., --token "...".
  {
    id: 'assigned-secret',
    pattern: new RegExp(String.raw`--(?<name>${SECRET_NAME})(?:=|\s+)(?:"(?<dq>[^"\n]+)"|'(?<sq>[^'\n]+)'|(?<secret>[^\s"'\`;&|]+))`, 'gi'),
    ignoreValue: isNotSecretValue,
  },
  // password=..., "api_key": "...", DB_PASSWORD: ..., secret => ...
  {
    id: 'assigned-secret',
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_.-])(?<name>${SECRET_NAME})["']?\s*(?::=|=>|=|:)[ \t]*(?:"(?<dq>[^"\n]+)"|'(?<sq>[^'\n]+)'|(?<secret>[^\s"'\`,;&|)}\]]+))`, 'gi'),
    ignoreValue: isNotSecretValue,
  },
];

/** Whether an assignment's name only describes a secret (TOKEN_FILE, password_length). */
export function isDescriptiveName(name: string): boolean {
  return DESCRIPTIVE_LAST_PART.test(name);
}

/** Environment variable names that say their value is secret: API_KEY, GITHUB_TOKEN, DB_PASSWORD, ... */
export function isSecretEnvName(name: string): boolean {
  if (isDescriptiveName(name) || /_SOCK$/i.test(name)) return false;
  const parts = name.split(/[_.-]+|(?<=[a-z])(?=[A-Z])/).map((part) => part.toUpperCase());
  return parts.some((part) => /(?:KEY|KEYS|TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?)$/.test(part) && !/^(?:MONKEY|HOCKEY|TURKEY|DONKEY|JOCKEY)$/.test(part));
}
