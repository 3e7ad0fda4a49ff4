// The planner's worst-case model for the indicator shard (scattered 4 KiB user pages over S3): on a
// 64 GiB dump no indicator shard's worst case exceeds the Lambda limit (900 s), with the assumptions
// of defaultCostModel (stated in marketplace/scale.md); small dumps (fully cached) keep wide ranges.
import { defaultCostModel, defaultLimits, indicatorShardWorstCase, planShards, RANGE_OPEN_END } from '../../lib/pipeline/plan';
import type { TableName } from '../../lib/model';

const LINUX: TableName[] = ['process', 'thread', 'vma', 'loaded_library', 'open_file', 'env_var', 'kernel_module', 'socket', 'syscall', 'kernel_log', 'indicator', 'shell_history'];
const GiB = 2 ** 30;

test.each([
  [64 * GiB, 2000],
  [64 * GiB, 2500],
  [16 * GiB, 300],
  [1 * GiB, 50],
])('%d-byte dump, %d processes: every indicator shard fits 900 s in the worst case', (size, procs) => {
  const shards = planShards(LINUX, procs, size);
  expect(shards.length).toBeLessThanOrEqual(defaultLimits.maxShards + Math.ceil(size / defaultLimits.hashPartBytes));
  const ind = shards.filter((s) => s.kind === 'table' && s.table === 'indicator');
  let covered = 0;
  for (const s of ind) {
    if (s.kind !== 'table' || !s.processRange) throw new Error('indicator shard without a process range');
    const n = Math.min(s.processRange[1] === RANGE_OPEN_END ? procs : s.processRange[1], procs) - s.processRange[0];
    covered += n;
    const wc = indicatorShardWorstCase(n, size);
    expect(wc.seconds).toBeLessThanOrEqual(defaultCostModel.shardBudgetSeconds);
    expect(wc.seconds).toBeLessThan(900);
  }
  expect(covered).toBe(procs);
});

test('a dump the block cache holds whole keeps 16 processes per indicator shard (each block is fetched once)', () => {
  const shards = planShards(LINUX, 54, 28_800_000);
  const ind = shards.filter((s) => s.kind === 'table' && s.table === 'indicator');
  expect(ind).toHaveLength(4);
  expect(indicatorShardWorstCase(16, 28_800_000).gets).toBeLessThanOrEqual(Math.ceil(28_800_000 / defaultCostModel.blockBytes));
});
