// The syntax tree copied into plain objects in one cursor walk. Reading nodes through the binding's
// node objects costs a native call per property and, on big trees, grows with the tree (the binding
// caches every node it hands out); a copy keeps each assessment linear in the command's length.
import type { Span } from '../types';
import type ParserType from 'tree-sitter';

export interface SyntaxNode {
  readonly type: string;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly isNamed: boolean;
  readonly isMissing: boolean;
  /** The field this node fills in its parent (`name`, `body`, `argument`, ...). */
  readonly field: string | null;
  readonly children: SyntaxNode[];
  readonly namedChildren: SyntaxNode[];
  readonly text: string;
  childForFieldName(field: string): SyntaxNode | null;
}

class PlainNode implements SyntaxNode {
  readonly children: PlainNode[] = [];
  readonly namedChildren: PlainNode[] = [];

  constructor(
    private readonly source: string,
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    readonly field: string | null,
  ) {}

  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  childForFieldName(field: string): SyntaxNode | null {
    return this.children.find((c) => c.field === field) ?? null;
  }

  add(child: PlainNode): void {
    this.children.push(child);
    if (child.isNamed) this.namedChildren.push(child);
  }
}

export function copyTree(tree: ParserType.Tree, source: string): SyntaxNode {
  const cursor = tree.walk();
  const make = (): PlainNode =>
    new PlainNode(source, cursor.nodeType, cursor.startIndex, cursor.endIndex, cursor.nodeIsNamed, cursor.nodeIsMissing, cursor.currentFieldName || null);
  const root = make();
  const parents: PlainNode[] = [];
  let node = root;
  for (;;) {
    if (cursor.gotoFirstChild()) {
      parents.push(node);
      const child = make();
      node.add(child);
      node = child;
      continue;
    }
    for (;;) {
      if (parents.length === 0) return root;
      if (cursor.gotoNextSibling()) {
        const sibling = make();
        parents[parents.length - 1].add(sibling);
        node = sibling;
        break;
      }
      cursor.gotoParent();
      node = parents.pop()!;
    }
  }
}

/** The first error or missing node, in document order. */
export function firstError(node: SyntaxNode): Span | undefined {
  const stack: SyntaxNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'ERROR' || n.isMissing) return { start: n.startIndex, end: Math.max(n.endIndex, n.startIndex + 1) };
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
  return undefined;
}
