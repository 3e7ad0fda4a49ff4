// The browser's cache of hit counts per snapshot (localStorage), written after every hunt this
// browser runs and read by the fleet overview; 'memq:hits-changed' tells open pages to re-read it.
import type { SnapshotHits } from './hunt-cache';

const KEY = 'memq.hunt-counts';

export function loadHitCounts(): Record<string, SnapshotHits> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, SnapshotHits>;
  } catch {
    return {};
  }
}

export function saveHitCounts(counts: Record<string, SnapshotHits>): void {
  localStorage.setItem(KEY, JSON.stringify({ ...loadHitCounts(), ...counts }));
  window.dispatchEvent(new Event('memq:hits-changed'));
}
