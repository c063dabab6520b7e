// lib/safety has no import cycle, counting type-only and lazy (require) imports: judges depend on the
// Analysis interface (judging.ts), never on the class that calls them.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', 'lib', 'safety');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|require\(|import\()\s*['"](\.[^'"]+)['"]/g)) {
    const base = path.join(path.dirname(file), m[1]);
    const found = [base + '.ts', path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
    if (found) out.push(found);
  }
  return out;
}

test('no module in lib/safety imports, directly or through others, a module that imports it', () => {
  const graph = new Map(sources(root).map((f) => [f, imports(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (node: string, stack: string[]): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(root, f)).join(' -> '));
      else if (!state.has(next)) visit(next, stack);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
  expect(graph.size).toBeGreaterThan(10);
  expect(cycles).toEqual([]);
});
