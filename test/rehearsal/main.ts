// `npm run rehearse`: the cloud rehearsal from the command line (test/rehearsal/rehearse.ts); exit
// code 0 only when every step passed. MEMQ_REHEARSAL_KEEP=1 keeps the work directory;
// MEMQ_REHEARSAL_VERBOSE=1 prints the Lambdas' own log lines.
import { rehearse } from './rehearse';

process.env.MEMQ_LOG ??= 'off';
rehearse({ keep: Boolean(process.env.MEMQ_REHEARSAL_KEEP) }).then(
  (s) => process.exit(s.failed === 0 ? 0 : 1),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
