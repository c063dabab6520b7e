// Follows the model's JSON answer while it is being written, so the command can be shown (and
// generation stopped) the moment its string closes. This is for display and timing only: the
// result itself always comes from JSON.parse of the text.

type State = 'outside' | 'key' | 'afterKey' | 'beforeValue' | 'value';

export interface JsonAnswerListener {
  /** Decoded characters of a top-level string field, as they arrive. */
  onText?: (field: string, text: string) => void;
  /**
   * A top-level string field closed. `end` is the offset in the text pushed so far just after
   * its closing quote: text.slice(0, end) + '}' is a complete JSON object.
   */
  onClose?: (field: string, value: string, end: number) => void;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };

/** Feeds JSON pieces in; reports the top-level string fields as they are written and closed. */
export class JsonAnswerStream {
  private state: State = 'outside';
  private key = '';
  private value = '';
  private escape: string | null = null;
  private depth = 0;
  private offset = 0;
  private closedField: string | undefined;

  constructor(private readonly listener: JsonAnswerListener) {}

  push(piece: string): void {
    let out = '';
    for (let i = 0; i < piece.length; i++) {
      this.offset++;
      const shown = this.step(piece[i]);
      if (shown) out += shown;
      if (this.state === 'outside' && this.closedField !== undefined) {
        if (out) this.listener.onText?.(this.closedField, out);
        out = '';
        this.listener.onClose?.(this.closedField, this.value, this.offset);
        this.closedField = undefined;
      }
    }
    if (out && this.state === 'value') this.listener.onText?.(this.key, out);
  }

  private step(ch: string): string {
    switch (this.state) {
      case 'outside':
        if (ch === '{' || ch === '[') this.depth++;
        else if (ch === '}' || ch === ']') this.depth--;
        else if (ch === '"' && this.depth === 1) {
          this.state = 'key';
          this.key = '';
        } else if (ch === '"') {
          this.state = 'value'; // a nested string: skipped, but its quotes must be honoured
          this.key = '\0nested';
          this.value = '';
        }
        return '';
      case 'key':
        if (this.escape !== null) {
          this.key += ch;
          this.escape = null;
        } else if (ch === '\\') this.escape = '';
        else if (ch === '"') this.state = 'afterKey';
        else this.key += ch;
        return '';
      case 'afterKey':
        if (ch === ':') this.state = 'beforeValue';
        return '';
      case 'beforeValue':
        if (ch === '"') {
          this.state = 'value';
          this.value = '';
        } else if (!/\s/.test(ch)) {
          this.state = 'outside'; // a non-string value: not followed
          return this.step(ch);
        }
        return '';
      case 'value': {
        const text = this.valueChar(ch);
        if (this.key === '\0nested') return '';
        this.value += text;
        return text;
      }
    }
  }

  private valueChar(ch: string): string {
    if (this.escape === null) {
      if (ch === '\\') {
        this.escape = '';
        return '';
      }
      if (ch === '"') {
        this.state = 'outside';
        if (this.key !== '\0nested') this.closedField = this.key;
        return '';
      }
      return ch;
    }
    if (this.escape === '') {
      if (ch === 'u') {
        this.escape = 'u';
        return '';
      }
      this.escape = null;
      return SIMPLE_ESCAPES[ch] ?? ch;
    }
    this.escape += ch;
    if (this.escape.length < 5) return '';
    const code = parseInt(this.escape.slice(1), 16);
    this.escape = null;
    return Number.isNaN(code) ? '' : String.fromCharCode(code);
  }
}

/** Emits the decoded characters of one top-level string field as they arrive. */
export class JsonFieldStream {
  private readonly stream: JsonAnswerStream;

  constructor(field: string, emit: (text: string) => void) {
    this.stream = new JsonAnswerStream({ onText: (name, text) => name === field && emit(text) });
  }

  push(piece: string): void {
    this.stream.push(piece);
  }
}
