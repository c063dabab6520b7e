// Loads the labelled reference corpora from ../shared/corpora (never copied into the project).
// Used by the corpus tests and by bench/safety.ts. Missing corpora are an error, not a skip.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

// smol-toml ships a CommonJS build but ESM-only type declarations (as lib/config notes).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse: parseToml } = require('smol-toml') as { parse: (text: string) => unknown };

export type Label = 'allow' | 'deny';

export interface LabelledCase {
  command: string;
  label: Label;
  /** Where it came from: file and, for fixtures, the pack; used for the category table. */
  source: string;
  category: string;
  description?: string;
}

export function corporaRoot(): string {
  const repoRoot = path.resolve(__dirname, '..', '..');
  // Compiled copies (build/scripts/test/safety) sit deeper than the sources.
  for (const base of [repoRoot, path.resolve(repoRoot, '..'), path.resolve(repoRoot, '..', '..'), process.cwd()]) {
    if (fs.existsSync(path.join(base, 'package.json')) && fs.existsSync(path.join(base, 'lib'))) {
      return path.resolve(base, '..', 'shared', 'corpora');
    }
  }
  return path.resolve(repoRoot, '..', 'shared', 'corpora');
}

function requireDir(dir: string): string {
  if (!fs.existsSync(dir)) {
    throw new Error(`Reference corpus not found at ${dir}. The safety corpus checks need ../shared/corpora next to the repository (see /work/shared/corpora/README.md).`);
  }
  return dir;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Cases whose upstream label records a missing rule pack rather than a judgement (see specs/safety.md). */
export const UNJUDGED_FILES = ['corpus/edge_cases/future_packs.toml'];

export function loadDcg(): { cases: LabelledCase[]; excluded: LabelledCase[] } {
  const root = requireDir(path.join(corporaRoot(), 'dcg'));
  const cases: LabelledCase[] = [];
  const excluded: LabelledCase[] = [];
  for (const file of walk(path.join(root, 'corpus')).filter((f) => f.endsWith('.toml')).sort()) {
    const rel = path.relative(root, file);
    const doc = parseToml(fs.readFileSync(file, 'utf8')) as { case?: Record<string, unknown>[] };
    for (const c of doc.case ?? []) {
      if (c.input_kind !== undefined && c.input_kind !== 'command') continue; // hook JSON envelopes, not commands
      const expected = (c.expected ?? c.expected_decision) as string;
      if (typeof c.command !== 'string' || (expected !== 'allow' && expected !== 'deny')) continue;
      const entry: LabelledCase = { command: c.command, label: expected, source: rel, category: rel.replace(/\.toml$/, ''), description: c.description as string | undefined };
      (UNJUDGED_FILES.includes(rel) ? excluded : cases).push(entry);
    }
  }
  cases.push(...loadYamlFixture(root, 'fixtures/destructive_commands.yaml', 'deny'));
  cases.push(...loadYamlFixture(root, 'fixtures/safe_commands.yaml', 'allow'));
  cases.push(...loadEdgeFixture(root));
  for (const [file, label] of [['e2e-commands/dangerous.txt', 'deny'], ['e2e-commands/safe.txt', 'allow']] as const) {
    for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      cases.push({ command: line, label, source: file, category: file.replace(/\.txt$/, '') });
    }
  }
  cases.push(...loadExpectFile(root, 'e2e-commands/edge_cases.txt', false));
  cases.push(...loadExpectFile(root, 'e2e-commands/heredocs.txt', true));
  return { cases, excluded };
}

/** `pack: [ {command: "..."} ]`, read line by line: one entry in destructive_commands.yaml is not valid
 *  YAML (a JSON body with `"\""` quoting), so a strict YAML parser would drop the whole file. */
function loadYamlFixture(root: string, file: string, label: Label): LabelledCase[] {
  const out: LabelledCase[] = [];
  let pack = '';
  for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const packMatch = /^([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (packMatch) pack = packMatch[1];
    const m = /^\s*- command:\s*(.*)$/.exec(line);
    if (m) out.push({ command: yamlScalar(m[1]), label, source: file, category: `${file.replace(/\.yaml$/, '')}:${pack}` });
  }
  return out;
}

function loadEdgeFixture(root: string): LabelledCase[] {
  const file = 'fixtures/edge_cases.yaml';
  const out: LabelledCase[] = [];
  let section = '';
  for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const s = /^(false_positives|false_negatives):/.exec(line);
    if (s) section = s[1];
    const m = /^\s*- command:\s*(.*)$/.exec(line);
    if (m && section) {
      // false positives must be allowed; false negatives are destructive commands a tool missed.
      out.push({ command: yamlScalar(m[1]), label: section === 'false_positives' ? 'allow' : 'deny', source: file, category: `${file}:${section}` });
    }
  }
  return out;
}

function yamlScalar(raw: string): string {
  const text = raw.trim();
  try {
    const value = parseYaml(text) as unknown;
    if (typeof value === 'string') return value;
  } catch {
    // fall through to the repair below
  }
  if (text.startsWith('"') && text.endsWith('"')) {
    const inner = text.slice(1, -1);
    {
      // The broken entry writes a JSON quote as "\"" inside the scalar: read it as the quote it meant.
      return inner.replace(/"\\"/g, '"').replace(/\\""/g, '"').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
  }
  return text;
}

/** `EXPECT:command` files. In heredocs.txt `\n` and `\t` stand for a line break and a tab; in edge_cases.txt a command
 *  continues on the following lines until the next EXPECT line. */
function loadExpectFile(root: string, file: string, escapedNewlines: boolean): LabelledCase[] {
  const out: LabelledCase[] = [];
  let current: LabelledCase | undefined;
  for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const m = /^(ALLOW|BLOCK|WARN):(.*)$/.exec(line);
    if (m) {
      let command = m[2];
      if (escapedNewlines) command = command.replace(/(?<!\\)\\n/g, '\n').replace(/(?<!\\)\\t/g, '\t').replace(/\\\\/g, '\\');
      current = m[1] === 'WARN' ? undefined : { command, label: m[1] === 'BLOCK' ? 'deny' : 'allow', source: file, category: file.replace(/\.txt$/, '') };
      if (current) out.push(current);
      continue;
    }
    if (!line.trim() || line.startsWith('#')) {
      current = undefined;
      continue;
    }
    if (current && !escapedNewlines) current.command += '\n' + line;
  }
  return out;
}

export interface AtomicTest {
  technique: string;
  name: string;
  command: string;
}

export function loadAtomicRedTeam(): AtomicTest[] {
  const file = path.join(requireDir(path.join(corporaRoot(), 'atomic-red-team')), 'derived_linux_macos_sh_tests.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AtomicTest & { technique_name?: string })
    .map((t) => ({ technique: t.technique, name: t.name, command: t.command }));
}

export function loadNl2bash(): string[] {
  const file = path.join(requireDir(path.join(corporaRoot(), 'nl2bash')), 'all.cm');
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}
