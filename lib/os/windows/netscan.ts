// Network endpoints by pool scan (netscan). Placeholder until the tcpip layouts are settled.
import type { Row } from '../../model';
import type { EProc, WinCtx } from './processes';

export function socketRows(_ctx: WinCtx, _procs: EProc[]): Row<'socket'>[] {
  return [];
}
