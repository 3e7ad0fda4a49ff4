// JobStore adapters (ports.ts): job state between requests. In memory for `memq serve` (bounded:
// finished jobs expire after a TTL, the oldest go first past the cap), and JSON objects in the
// results bucket for the cloud (several Lambda instances answer one job's polls; the bucket's
// lifecycle rule expires them).
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobStore } from './ports';

// The memory store keeps the objects themselves (no serialization: a local result may hold a million
// rows); callers replace a job with put() after changing it, as they would with S3. It is bounded per
// owner: past `maxEntriesPerOwner`, the owner's OWN oldest entries go (a job's state and rows are two
// entries). One user starting hundreds of jobs therefore evicts only their own results, never another
// user's unread one. Entries older than the TTL expire for everyone.
export function memoryJobStore(o: { maxEntriesPerOwner: number; ttlMs: number; now?: () => number }): JobStore {
  const now = o.now ?? Date.now;
  const m = new Map<string, { at: number; owner: string; value: unknown }>();
  const byOwner = new Map<string, Set<string>>(); // insertion order = age order
  const drop = (key: string) => {
    const e = m.get(key);
    if (!e) return;
    m.delete(key);
    const keys = byOwner.get(e.owner);
    keys?.delete(key);
    if (keys && keys.size === 0) byOwner.delete(e.owner);
  };
  const gc = (owner: string) => {
    const t = now();
    for (const [k, v] of m) {
      if (t - v.at <= o.ttlMs) break; // the map is in write order: the rest are younger
      drop(k);
    }
    const mine = byOwner.get(owner);
    while (mine && mine.size > o.maxEntriesPerOwner) drop(mine.values().next().value as string);
  };
  return {
    async get<T>(key: string): Promise<T | null> {
      const v = m.get(key);
      if (!v || now() - v.at > o.ttlMs) return null;
      return v.value as T;
    },
    async put(key: string, value: unknown, owner = ''): Promise<void> {
      drop(key); // re-insert: the map's order is last-written first-kept
      m.set(key, { at: now(), owner, value });
      (byOwner.get(owner) ?? byOwner.set(owner, new Set()).get(owner)!).add(key);
      gc(owner);
    },
  };
}

export function s3JobStore(s3: S3Client, bucket: string): JobStore {
  return {
    async get<T>(key: string): Promise<T | null> {
      try {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse(await r.Body!.transformToString()) as T;
      } catch (e) {
        if ((e as Error).name === 'NoSuchKey') return null;
        throw e;
      }
    },
    async put(key: string, value: unknown, _owner?: string): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },
  };
}
