// Objects shared with me (by name or through one of my projects), with their classification.
import { useEffect, useState } from 'react';
import { api, type Tlp } from '../lib/api';
import { TlpBadge } from '../components/TlpBadge';
import { snapshotName, utc } from '../lib/labels';

interface Item { share: { id: string; created_at: string; target_kind: string }; kind: string; item: { id: string; name: string; classification: Tlp; tags: string[]; status?: string } }

export function SharedPage() {
  const [items, setItems] = useState<Item[] | null>(null);
  useEffect(() => void api<Item[]>('GET', '/shared').then(setItems), []);
  if (!items) return <div className="loading">Loading…</div>;
  return (
    <table data-testid="shared-list">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Name</th>
          <th>Classification</th>
          <th>Shared</th>
        </tr>
      </thead>
      <tbody>
        {items.map((x) => (
          <tr key={x.share.id} data-testid="shared-item">
            <td>{x.kind.replace('_', ' ')}</td>
            <td>{x.kind === 'snapshot' ? <a href={`#/snapshots/${x.item.id}`}>{snapshotName(x.item, (x.item as { machine_name?: string }).machine_name ?? (x.item as { machine?: string }).machine)}</a> : x.item.name}</td>
            <td>
              <TlpBadge tlp={x.item.classification} tags={x.item.tags} />
            </td>
            <td>
              {x.share.target_kind === 'user' ? 'with you' : 'with your project'} · {utc(x.share.created_at).slice(0, 16)} UTC
            </td>
          </tr>
        ))}
        {items.length === 0 && (
          <tr>
            <td colSpan={4}>Nothing is shared with you.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
