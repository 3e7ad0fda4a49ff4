// Contract between the OS engines (os/linux, os/windows) and everything above them (CLI, analyze,
// cloud shards). An engine is opened on a PhysicalMemory and extracts one table at a time so the
// pipeline can shard by object class (and, where supported, by process range).
import type { PhysicalMemory } from '../image/physical';
import type { Row, TableName } from '../model';
import type { DiscoveryCache } from './discovery-cache';
import type { YaraScanner } from '../yara/engine';

export interface ExtractOptions {
  /** only processes whose index in the kernel process list is in [from, to) — for sharding */
  processRange?: [number, number];
  /** only this pid (CLI --pid filters) */
  pid?: number;
  /** compiled YARA rules for the yara_match table (no rules: the table is empty); which memory to scan */
  yara?: { scanner: YaraScanner; processes?: boolean; modules?: boolean; kernel?: boolean; physical?: boolean };
}

/** How an engine fills each of its tables: a typed table → extractor map (its keys are the tables). */
export type Extractors = { [K in TableName]?: (opts: ExtractOptions) => Row<K>[] };

/** Runs the extractor of `table`, or returns no rows when the engine has none. */
export function extractWith<T extends TableName>(ex: Extractors, table: T, opts: ExtractOptions): Row<T>[] {
  // the one place a table's rows meet its name: TypeScript cannot relate a mapped type's key to its value
  const f = ex[table] as ((o: ExtractOptions) => Row<T>[]) | undefined;
  return f ? f(opts) : [];
}

export interface OsEngine {
  readonly os: 'linux' | 'windows';
  readonly mem: PhysicalMemory;
  /** key facts for `memq info` and the snapshot manifest (kernel version, DTB, KASLR, symbol sources…) */
  info(): Record<string, string | number | boolean>;
  /** tables this engine can fill */
  readonly tables: readonly TableName[];
  extract<T extends TableName>(table: T, opts?: ExtractOptions): Row<T>[];
  /** number of processes in the kernel list (for planning process-range shards) */
  processCount(): number;
  /** non-fatal problems met so far (corrupt entries skipped, cycles cut, …) */
  readonly warnings: string[];
  /**
   * Facts found by expensive discovery (e.g. where VMCOREINFO sits) that another open of the same dump
   * can pass back as EngineOptions.hints to skip the scan — the cloud probe hands them to every shard.
   */
  discoveryHints?(): Record<string, number | string>;
}

export interface EngineProbe {
  os: 'linux' | 'windows';
  /** quick check whether this dump is this OS; returns a confidence reason or null */
  detect(mem: PhysicalMemory, opts?: EngineOptions): string | null;
  open(mem: PhysicalMemory, opts: EngineOptions): OsEngine;
}

export interface EngineOptions {
  /** optional symbol inputs: System.map path, ISF JSON(.xz) paths */
  systemMap?: string;
  isf?: string[];
  /**
   * Linux: do not use the kernel's VMCOREINFO note even when present — derive the layout from memory
   * (kallsyms/BTF scans), e.g. to cross-check a note that may have been tampered with
   */
  ignoreVmcoreinfo?: boolean;
  /** discovery hints from an earlier open of the same dump (OsEngine.discoveryHints); wrong hints are ignored */
  hints?: Record<string, number | string>;
  /** the dump's discovery cache (lib/os/discovery-cache.ts): engines read and refresh their entry */
  cache?: DiscoveryCache;
  /** progress callback for long stages */
  progress?: (stage: string, done: number, total: number) => void;
}
