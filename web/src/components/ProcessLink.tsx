// A clickable pid: opens the process page (#/snapshots/<snapshot id>/processes/<pid>). Use it wherever
// a pid is shown (process tree, query results, hunt hits, IOC hits); pass the hunt id when the link
// comes from a hunt hit, so the page shows that hunt's evidence on the process.
import type { ReactNode } from 'react';

/** The hash route of a process page (hunt: the hunt whose hits the page shows). */
export function processHref(snapshotId: string, pid: number | string, hunt?: string | null): string {
  return `#/snapshots/${encodeURIComponent(snapshotId)}/processes/${encodeURIComponent(String(pid))}${hunt ? `?hunt=${encodeURIComponent(hunt)}` : ''}`;
}

export function ProcessLink({ snapshotId, pid, hunt, children, className }: { snapshotId: string; pid: number | string | null | undefined; hunt?: string | null; children?: ReactNode; className?: string }) {
  if (pid === null || pid === undefined || pid === '' || !Number.isInteger(Number(pid))) return <>{children ?? ''}</>;
  return (
    <a href={processHref(snapshotId, pid, hunt)} className={className ?? 'process-link'} data-testid="process-link" data-pid={String(pid)} onClick={(e) => e.stopPropagation()}>
      {children ?? String(pid)}
    </a>
  );
}
