// Background jobs of the embedded data plane (hunts, IOC searches): started by a request that answers
// at once, run in this process, polled by id. One place keeps the rules every kind shares: a job is
// its starter's (anyone else gets "not found"), finished jobs expire after a TTL and only a bounded
// number are kept (results can be large), a bounded number run at once, and close() waits for them.
import { PlatformError } from '../platform/errors';
import { newId } from '../platform/model';

/** The fields every job kind reports. */
export interface JobBase<R> {
  id: string;
  owner_id: string;
  status: 'running' | 'done' | 'failed';
  progress: { done: number; total: number };
  error: string | null;
  elapsed_ms: number | null;
  result: R | null;
}

export class LocalJobs<R, J extends JobBase<R>> {
  private readonly jobs = new Map<string, J & { finished_at: number }>();
  private readonly running = new Set<Promise<void>>();

  /** `what` names the kind in messages ("hunt not found"); ids are `<idPrefix>_…`. */
  constructor(private readonly what: string, private readonly idPrefix: string, private readonly limits: { maxJobs: number; ttlMs: number }) {}

  /**
   * Registers a job (fields beyond JobBase come from `init`) and runs `work` in the background; `work`
   * may update job.progress as it goes and returns the result. Refuses (503) when too many are running.
   */
  start(ownerId: string, init: Omit<J, keyof JobBase<R>>, total: number, work: (job: J) => Promise<R>): J {
    const now = Date.now();
    for (const [id, j] of this.jobs) if (j.status !== 'running' && now - j.finished_at > this.limits.ttlMs) this.jobs.delete(id);
    const finished = [...this.jobs.values()].filter((j) => j.status !== 'running').sort((a, b) => a.finished_at - b.finished_at);
    if (this.jobs.size - finished.length >= this.limits.maxJobs) throw new PlatformError(503, `too many ${this.what}s running; try again shortly`);
    for (const j of finished.slice(0, Math.max(0, finished.length - this.limits.maxJobs + 1))) this.jobs.delete(j.id);
    const job = {
      ...init,
      id: newId(this.idPrefix),
      owner_id: ownerId,
      status: 'running',
      progress: { done: 0, total },
      error: null,
      elapsed_ms: null,
      result: null,
      finished_at: 0,
    } as unknown as J & { finished_at: number };
    this.jobs.set(job.id, job);
    const t0 = performance.now();
    const run = (async () => {
      try {
        job.result = await work(job);
        job.status = 'done';
      } catch (e) {
        job.status = 'failed';
        job.error = (e as Error).message.split('\n')[0]!.slice(0, 1000);
      } finally {
        job.elapsed_ms = Math.round(performance.now() - t0);
        job.finished_at = Date.now();
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return this.view(job);
  }

  /** The job as its owner sees it; another user's job is reported exactly like a missing one. */
  get(id: string, ownerId: string): J {
    const j = this.jobs.get(id);
    if (!j || j.owner_id !== ownerId) throw new PlatformError(404, `${this.what} not found (results expire after an hour)`);
    return this.view(j);
  }

  /** Waits for every running job (server shutdown). */
  async drain(): Promise<void> {
    await Promise.all(this.running);
  }

  private view(j: J & { finished_at: number }): J {
    const { finished_at: _f, ...pub } = j;
    return { ...pub, progress: { ...pub.progress } } as unknown as J;
  }
}
