// A 64 GiB plan fits Step Functions' limits: the shard list is read by the Distributed Map's
// ItemReader from S3 (no state payload involved), each child's input (ItemSelector: job + one shard,
// with the discovery hints) stays far below the 256 KiB state payload limit, and the children's
// outputs go to S3 through ResultWriter, so the Map's own output is one small reference whatever the
// shard count (inline results would overflow 256 KiB near 950 shards; test/infra/stacks.test.ts
// checks the synthesized ResultWriter).
import { planShards } from '../../lib/pipeline/plan';
import type { SnapshotJob } from '../../lib/pipeline/steps';
import type { TableName } from '../../lib/model';

const LINUX: TableName[] = ['process', 'thread', 'vma', 'loaded_library', 'open_file', 'env_var', 'kernel_module', 'socket', 'syscall', 'kernel_log', 'indicator', 'shell_history'];
const GiB = 2 ** 30;
const PAYLOAD_LIMIT = 256 * 1024;

test('64 GiB, 2,000 processes: every child input is far below 256 KiB; inline results would not fit', () => {
  const job: SnapshotJob = {
    snapshot: 'snp_0mx9cwx9x0000dce9384c4039',
    org: 'org_0mx9d0epw000052721b7d2f8e',
    project: 'prj_0mx9d0es900003196f23f6612',
    machine: 'mac_0mx9d0et0000000000000000',
    bucket: 'memq-dumps-111111111111-us-east-1',
    key: `dumps/org_0mx9d0epw000052721b7d2f8e/prj_0mx9d0es900003196f23f6612/mac_0mx9d0et0000000000000000/snp_0mx9cwx9x0000dce9384c4039/${'x'.repeat(200)}.raw`,
    size: 64 * GiB,
  };
  const hints = { vmcoreinfo_paddr: 0x1_2345_6000, phys_base: 0x1000000, kaslr: 0x2a000000 };
  const shards = planShards(LINUX, 2000, job.size).map((s) => (s.kind === 'table' ? { ...s, hints } : s));
  expect(shards.length).toBeGreaterThan(950); // past the point where inline Map results overflow
  const largest = Math.max(...shards.map((shard) => Buffer.byteLength(JSON.stringify({ job, shard }))));
  expect(largest).toBeLessThan(PAYLOAD_LIMIT / 100);
  // what the children return (the shard Lambda's {id, rows}) collected inline would exceed the limit
  const inline = Buffer.byteLength(JSON.stringify(shards.map((s) => ({ id: s.id, rows: 123456 }))));
  const withExecutionMetadata = inline + shards.length * 200; // Step Functions wraps each child result
  expect(withExecutionMetadata).toBeGreaterThan(PAYLOAD_LIMIT);
});
