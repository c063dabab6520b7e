// tree-sitter-bash through the native `tree-sitter` binding: synchronous, loads in ~15 ms.
// Loaded on first use so importing the package costs nothing. See specs/safety.md for the choice.
import type ParserType from 'tree-sitter';

export type SyntaxNode = ParserType.SyntaxNode;

let parser: ParserType | undefined;
let loadError: Error | undefined;

export function bashParser(): ParserType | Error {
  if (parser) return parser;
  if (loadError) return loadError;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Parser = require('tree-sitter') as typeof ParserType;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Bash = require('tree-sitter-bash') as ParserType.Language;
    const created = new Parser();
    created.setLanguage(Bash);
    parser = created;
    return parser;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    return loadError;
  }
}
