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

/** Number of descendants of every node (iterative, bounded like flatten). */
function descendantCounts<T>(roots: TreeNode<T>[], maxDepth = 64): Map<TreeNode<T>, number> {
  const out = new Map<TreeNode<T>, number>();
  const order = flatten(roots, maxDepth);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!.node;
    out.set(n, n.children.reduce((s, c) => s + 1 + (out.get(c) ?? 0), 0));
  }
  return out;
}

/** Nodes with a flagged node somewhere below them (the flagged node itself excluded). */
export function flaggedAncestors<T>(roots: TreeNode<T>[], flagged: (t: T) => boolean, maxDepth = 64): Set<number> {
  const out = new Set<number>();
  const below = new Map<TreeNode<T>, boolean>();
  const order = flatten(roots, maxDepth);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!.node;
    const any = n.children.some((c) => below.get(c) || flagged(c.item));
    below.set(n, any);
    if (any) out.add(n.pid);
  }
  return out;
}

/**
 * Folded by default: a node whose children are all kernel threads (Linux kthreadd) — unless a flagged
 * process is below it. Windows' System keeps smss.exe below it, so it stays open.
 */
export function defaultCollapsed<T>(roots: TreeNode<T>[], isKernelThread: (t: T) => boolean, flagged: (t: T) => boolean): Set<number> {
  const keepOpen = flaggedAncestors(roots, flagged);
  const out = new Set<number>();
  for (const { node } of flatten(roots)) if (node.children.length && node.children.every((c) => isKernelThread(c.item)) && !keepOpen.has(node.pid)) out.add(node.pid);
  return out;
}

export interface TreeRow<T> {
  node: TreeNode<T>;
  depth: number;
  collapsed: boolean;
  /** descendants hidden under a collapsed node, or below it when open */
  descendants: number;
}

/** The rows to show: depth-first, skipping what is below a collapsed node. */
export function visibleRows<T>(roots: TreeNode<T>[], collapsed: ReadonlySet<number>, maxDepth = 64): TreeRow<T>[] {
  const counts = descendantCounts(roots, maxDepth);
  const out: TreeRow<T>[] = [];
  const stack: { node: TreeNode<T>; depth: number }[] = roots.map((node) => ({ node, depth: 0 })).reverse();
  while (stack.length) {
    const e = stack.pop()!;
    const isCollapsed = collapsed.has(e.node.pid) && e.node.children.length > 0;
    out.push({ ...e, collapsed: isCollapsed, descendants: counts.get(e.node) ?? 0 });
    if (!isCollapsed && e.depth < maxDepth) for (let i = e.node.children.length - 1; i >= 0; i--) stack.push({ node: e.node.children[i]!, depth: e.depth + 1 });
  }
  return out;
}
