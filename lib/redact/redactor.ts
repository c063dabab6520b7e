// Replaces secrets with placeholders the model can still refer to (`<redacted-github-token-1>`) and
// puts the originals back into what the model answers. One redactor keeps one numbering, so the
// same secret gets the same placeholder across the turns of a conversation.
import { isDescriptiveName, isNotSecretValue, isSecretEnvName, SECRET_RULES, type SecretRule } from './rules';

export interface RedactorOptions {
  /** Environment whose secret-named variables' values are redacted wherever they appear (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Extra values to treat as secrets (e.g. the API key the backend itself sends). */
  secrets?: readonly string[];
}

interface Found {
  start: number;
  end: number;
  kind: string;
  priority: number;
}

/** Environment values shorter than this are not redacted: "1" or "yes" would hit ordinary text. */
const MIN_ENV_SECRET_LENGTH = 8;

const PLACEHOLDER = /<redacted-[a-z0-9-]+?-\d+>/g;

export class SecretRedactor {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly knownValues: Array<{ value: string; kind: string }>;
  private readonly rules: Array<{ rule: SecretRule; pattern: RegExp }>;

  constructor(options: RedactorOptions = {}) {
    this.rules = SECRET_RULES.map((rule) => ({ rule, pattern: new RegExp(rule.pattern.source, rule.pattern.flags.includes('d') ? rule.pattern.flags : rule.pattern.flags + 'd') }));
    const known = new Map<string, string>();
    for (const [name, value] of Object.entries(options.env ?? process.env)) {
      if (value && value.length >= MIN_ENV_SECRET_LENGTH && isSecretEnvName(name) && !isNotSecretValue(value)) known.set(value, 'env-secret');
    }
    for (const value of options.secrets ?? []) if (value && value.length >= 4) known.set(value, 'credential');
    // Longest first, so a value that contains another is replaced whole.
    this.knownValues = [...known].map(([value, kind]) => ({ value, kind })).sort((a, b) => b.value.length - a.value.length);
  }

  /** Distinct secrets replaced so far by this redactor. */
  get count(): number {
    return this.byValue.size;
  }

  /** The text with every secret found replaced by its placeholder, and the placeholders used. */
  redact(text: string): { text: string; secrets: number; placeholders: Set<string> } {
    const found = this.find(text);
    const placeholders = new Set<string>();
    let out = '';
    let at = 0;
    for (const span of found) {
      const placeholder = this.placeholderFor(text.slice(span.start, span.end), span.kind);
      out += text.slice(at, span.start) + placeholder;
      placeholders.add(placeholder);
      at = span.end;
    }
    return { text: found.length === 0 ? text : out + text.slice(at), secrets: placeholders.size, placeholders };
  }

  /**
   * Puts the original values back. `json` escapes them for a place inside a JSON string (the
   * model's answer is JSON, and a secret may hold quotes or backslashes).
   */
  restore(text: string, options: { json?: boolean } = {}): string {
    if (this.byPlaceholder.size === 0) return text;
    return text.replace(PLACEHOLDER, (placeholder) => {
      const value = this.byPlaceholder.get(placeholder);
      if (value === undefined) return placeholder;
      return options.json ? JSON.stringify(value).slice(1, -1) : value;
    });
  }

  private placeholderFor(value: string, kind: string): string {
    let placeholder = this.byValue.get(value);
    if (!placeholder) {
      placeholder = `<redacted-${kind}-${this.byValue.size + 1}>`;
      this.byValue.set(value, placeholder);
      this.byPlaceholder.set(placeholder, value);
    }
    return placeholder;
  }

  /** Spans to replace, in order, none overlapping: earlier first, then longer, then the more specific rule. */
  private find(text: string): Found[] {
    const spans: Found[] = [];
    this.rules.forEach(({ rule, pattern }, priority) => {
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        if (match[0] === '') {
          pattern.lastIndex++;
          continue;
        }
        const groups = match.indices?.groups ?? {};
        const range = groups.secret ?? groups.dq ?? groups.sq ?? match.indices![0];
        const value = text.slice(range[0], range[1]);
        if (rule.ignoreValue?.(value)) continue;
        if (match.groups?.name && isDescriptiveName(match.groups.name)) continue;
        if (/^<redacted-[a-z0-9-]+-\d+>$/.test(value)) continue;
        spans.push({ start: range[0], end: range[1], kind: rule.id, priority });
      }
    });
    // Values known to be secret (from the environment, or given) wherever they appear.
    for (const { value, kind } of this.knownValues) {
      for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) {
        spans.push({ start: at, end: at + value.length, kind, priority: -1 });
      }
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end || a.priority - b.priority);
    const kept: Found[] = [];
    for (const span of spans) {
      const last = kept[kept.length - 1];
      if (last && span.start < last.end) {
        // Overlapping: widen the kept span rather than leave part of a secret behind.
        if (span.end > last.end) last.end = span.end;
        continue;
      }
      kept.push({ ...span });
    }
    return kept;
  }
}

/** Redacts one text with a fresh redactor (its placeholders can be restored only by that redactor). */
export function redactSecrets(text: string, options: RedactorOptions = {}): { text: string; secrets: number } {
  const { text: redacted, secrets } = new SecretRedactor(options).redact(text);
  return { text: redacted, secrets };
}
