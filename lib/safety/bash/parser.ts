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
    // setLanguage builds a JS subclass with field getters for every node type from node-types.json
    // (~10 ms). We only use the native accessors, so hand it no type info while it does that.
    const language = Bash as ParserType.Language & { nodeTypeInfo?: unknown };
    const typeInfo = language.nodeTypeInfo;
    language.nodeTypeInfo = [];
    try {
      created.setLanguage(language);
    } finally {
      language.nodeTypeInfo = typeInfo;
    }
    parser = created;
    return parser;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    return loadError;
  }
}
