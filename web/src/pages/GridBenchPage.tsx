// Not in the navigation: renders the result grid over N generated rows (#/grid-bench/100000) so the
// end-to-end test can check that 100k rows stay virtualized and responsive.
import { useMemo } from 'react';
import { Grid } from '../components/Grid';

export function GridBenchPage({ n }: { n: number }) {
  const count = Math.min(Math.max(1, n || 100000), 1_000_000);
  const rows = useMemo(() => Array.from({ length: count }, (_x, i) => [i, `proc-${i % 977}`, (i * 7919) % 65536, i % 3 === 0]), [count]);
  return <Grid columns={['row', 'name', 'port', 'flag']} rows={rows} height={600} />;
}
