// Structured JSON logs for the Lambdas (one line per event, CloudWatch Logs Insights can filter on any
// field). Never logs dump bytes or row contents.
export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  if (process.env.MEMQ_LOG === 'off') return; // tests that assert on outcomes, not on log lines
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}
