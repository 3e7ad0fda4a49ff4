// Structured JSON logs for the Lambdas (one line per event, CloudWatch Logs Insights can filter on any
// field). Never logs dump bytes or row contents.
export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}
