// Groups a snapshot's processes by the container they run in (process.container_id, Linux), for the
// overview's Containers tab: one group per container, with its container-table row when there is one,
// ordered by the container's init pid; processes of the host in a last group with id null.
export interface ContainerGroup {
  id: string | null;
  container: Record<string, unknown> | null;
  processes: Record<string, unknown>[];
}

const pidOf = (p: Record<string, unknown>) => (typeof p.process_id === 'number' ? p.process_id : Number.MAX_SAFE_INTEGER);

export function groupByContainer(processes: Record<string, unknown>[], containers: Record<string, unknown>[]): ContainerGroup[] {
  const groups = new Map<string, ContainerGroup>();
  for (const c of containers) {
    const id = typeof c.container_id === 'string' ? c.container_id : null;
    if (id !== null && !groups.has(id)) groups.set(id, { id, container: c, processes: [] });
  }
  const host: ContainerGroup = { id: null, container: null, processes: [] };
  for (const p of processes) {
    const id = typeof p.container_id === 'string' ? p.container_id : null;
    if (id === null) {
      host.processes.push(p);
      continue;
    }
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { id, container: null, processes: [] }));
    g.processes.push(p);
  }
  const byPid = (a: Record<string, unknown>, b: Record<string, unknown>) => pidOf(a) - pidOf(b);
  for (const g of groups.values()) g.processes.sort(byPid);
  host.processes.sort(byPid);
  const first = (g: ContainerGroup) =>
    typeof g.container?.init_process_id === 'number' ? g.container.init_process_id : g.processes.length ? pidOf(g.processes[0]!) : Number.MAX_SAFE_INTEGER;
  const out = [...groups.values()].sort((a, b) => first(a) - first(b));
  return host.processes.length ? [...out, host] : out;
}
