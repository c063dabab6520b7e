// tree-sitter-bash through the native `tree-sitter` binding: synchronous, loads in ~15 ms.
// Loaded on first use so importing the package costs nothing. See specs/safety.md for the choice.
import type ParserType from 'tree-sitter';

let parser: ParserType | undefined;
let loadError: Error | undefined;

// The tree-sitter binding patches its native classes' prototypes when its JS wrapper loads; loading
// the wrapper a second time in one process (test runners give each file a fresh module registry)
// breaks those patches. The native language object is shared process-wide, so the one parser is
// kept on it.
const PARSER_KEY = Symbol.for('cmdai.safety.bashParser');
type LanguageWithParser = ParserType.Language & { nodeTypeInfo?: unknown; [PARSER_KEY]?: ParserType };

export function bashParser(): ParserType | Error {
  if (parser) return parser;
  if (loadError) return loadError;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const language = require('tree-sitter-bash') as LanguageWithParser;
    const existing = language[PARSER_KEY];
    if (existing) {
      parser = existing;
      return parser;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Parser = require('tree-sitter') as typeof ParserType;
    const created = new Parser();
    // setLanguage builds a JS subclass with field getters for every node type from node-types.json
    // (~10 ms). We only use the native accessors, so hand it no type info while it does that.
    const typeInfo = language.nodeTypeInfo;
    language.nodeTypeInfo = [];
    try {
      created.setLanguage(language);
    } finally {
      language.nodeTypeInfo = typeInfo;
    }
    language[PARSER_KEY] = created;
    parser = created;
    return parser;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    return loadError;
  }
}
