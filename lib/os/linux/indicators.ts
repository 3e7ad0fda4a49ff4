// Indicator table for Linux: network indicators in each process's readable private memory.
// Placeholder until the shared scanner (lib/os/common/indicators.ts) lands: extracts nothing.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';

export function indicatorRows(_ctx: LinuxContext, _tasks: Task[]): Row<'indicator'>[] {
  return [];
}
