// TOML text to a table, for the config file and a repository's policy file. The parser loads on
// first use: most runs read no TOML at all, and loading it costs ~7 ms of every start-up.
import { CmdaiError } from '../errors';

interface SmolToml {
  parse: (text: string) => unknown;
  TomlError: new (...args: never[]) => Error & { line: number };
}

/** The document's top-level table; text that is not TOML is a CONFIG error naming the file and line, with `hint`. */
export function parseTomlTable(text: string, file: string, hint: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- smol-toml ships a CommonJS build but ESM-only type declarations, so it is typed here; loaded on first use
  const { parse, TomlError } = require('smol-toml') as SmolToml;
  try {
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
    throw new CmdaiError('CONFIG', `${file}:${err.line}: not valid TOML (${reason}).`, { hint });
  }
}
