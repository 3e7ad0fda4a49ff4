// Process tree for the snapshot overview: parent → children from process_id/parent_process_id, with
// cycles and orphans handled (hostile dumps can hold both): a process whose parent is missing or
// that would close a loop becomes a root. Depth is bounded.

export interface TreeNode<T> {
  pid: number;
  item: T;
  children: TreeNode<T>[];
}

export function buildTree<T>(items: T[], pid: (t: T) => number, ppid: (t: T) => number): TreeNode<T>[] {
  const nodes = new Map<number, TreeNode<T>>();
  for (const it of items) if (!nodes.has(pid(it))) nodes.set(pid(it), { pid: pid(it), item: it, children: [] });
  const roots: TreeNode<T>[] = [];
  for (const n of nodes.values()) {
    const p = ppid(n.item);
    const parent = p !== n.pid ? nodes.get(p) : undefined;
    // walk up to refuse cycles (bounded by the number of nodes)
    let cyc = false;
    for (let a = parent, i = 0; a && i <= nodes.size; i++) {
      if (a === n) {
        cyc = true;
        break;
      }
      const up = ppid(a.item);
      a = up !== a.pid ? nodes.get(up) : undefined;
    }
    if (parent && !cyc) parent.children.push(n);
    else roots.push(n);
  }
  const sort = (l: TreeNode<T>[]) => l.sort((a, b) => a.pid - b.pid);
  sort(roots);
  for (const n of nodes.values()) sort(n.children);
  return roots;
}

/** Depth-first flattening with depth, for rendering as indented rows. */
export function flatten<T>(roots: TreeNode<T>[], maxDepth = 64): { node: TreeNode<T>; depth: number }[] {
  const out: { node: TreeNode<T>; depth: number }[] = [];
  const stack: { node: TreeNode<T>; depth: number }[] = roots.map((node) => ({ node, depth: 0 })).reverse();
  while (stack.length) {
    const e = stack.pop()!;
    out.push(e);
    if (e.depth < maxDepth) for (let i = e.node.children.length - 1; i >= 0; i--) stack.push({ node: e.node.children[i]!, depth: e.depth + 1 });
  }
  return out;
}
