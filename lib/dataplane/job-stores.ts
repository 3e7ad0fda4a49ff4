// JobStore adapters (ports.ts): job state between requests. In memory for `memq serve` (bounded:
// finished jobs expire after a TTL, the oldest go first past the cap), and JSON objects in the
// results bucket for the cloud (several Lambda instances answer one job's polls; the bucket's
// lifecycle rule expires them).
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobStore } from './ports';

// The memory store keeps the objects themselves (no serialization: a local result may hold a million
// rows); callers replace a job with put() after changing it, as they would with S3.
export function memoryJobStore(o: { maxEntries: number; ttlMs: number }): JobStore {
  const m = new Map<string, { at: number; value: unknown }>();
  const gc = () => {
    const now = Date.now();
    for (const [k, v] of m) if (now - v.at > o.ttlMs) m.delete(k);
    while (m.size > o.maxEntries) m.delete(m.keys().next().value as string);
  };
  return {
    async get<T>(key: string): Promise<T | null> {
      const v = m.get(key);
      return v ? (v.value as T) : null;
    },
    async put(key: string, value: unknown): Promise<void> {
      m.delete(key); // re-insert: the map's order is last-written first-kept
      m.set(key, { at: Date.now(), value });
      gc();
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
    async put(key: string, value: unknown): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    },
  };
}
