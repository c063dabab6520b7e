// Shows the command while the model is still writing its JSON answer. This is for display
// only: the result itself always comes from JSON.parse of the complete text.

type State = 'outside' | 'key' | 'afterKey' | 'beforeValue' | 'value' | 'otherValue';

/** Feeds JSON pieces in, emits the decoded characters of one string field as they arrive. */
export class JsonFieldStream {
  private state: State = 'outside';
  private key = '';
  private escape: string | null = null;
  private depth = 0;

  constructor(
    private readonly field: string,
    private readonly emit: (text: string) => void,
  ) {}

  push(piece: string): void {
    let out = '';
    for (const ch of piece) out += this.step(ch);
    if (out) this.emit(out);
  }

  private step(ch: string): string {
    switch (this.state) {
      case 'outside':
        if (ch === '{') this.depth++;
        else if (ch === '}') this.depth--;
        else if (ch === '"' && this.depth === 1) {
          this.state = 'key';
          this.key = '';
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
        if (ch === '"') this.state = this.key === this.field ? 'value' : 'otherValue';
        else if (!/\s/.test(ch)) this.state = 'outside'; // a non-string value: not ours
        return '';
      case 'otherValue':
        if (this.escape !== null) this.escape = null;
        else if (ch === '\\') this.escape = '';
        else if (ch === '"') this.state = 'outside';
        return '';
      case 'value':
        return this.valueChar(ch);
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
        return '';
      }
      return ch;
    }
    if (this.escape === '') {
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
      if (ch === 'u') {
        this.escape = 'u';
        return '';
      }
      this.escape = null;
      return simple[ch] ?? ch;
    }
    this.escape += ch;
    if (this.escape.length < 5) return '';
    const code = parseInt(this.escape.slice(1), 16);
    this.escape = null;
    return Number.isNaN(code) ? '' : String.fromCharCode(code);
  }
}
