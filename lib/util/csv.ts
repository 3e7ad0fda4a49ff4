// One CSV field, safe to open in a spreadsheet. Shared by the API's CSV export (lib/api/routes.ts) and
// the web UI's grid export (web/src/lib/grid.ts), so both escape the same way. No imports: the UI
// bundles this file.
//
// Formula injection: a cell whose text starts with = + - @ TAB or CR is run as a formula by Excel,
// LibreOffice and Sheets (`=HYPERLINK(...)` in a process name becomes a live link). Such text gets a
// leading apostrophe (OWASP's advice), which spreadsheets show as text. Real numbers (a negative pid
// or offset) are left as they are: only text the dump (an attacker) controls is escaped.

const FORMULA_START = /^[=+\-@\t\r]/;

/** The CSV field for a value already turned into `text`; `numeric` when the value was a number, bigint or boolean. */
export function csvField(text: string, numeric = false): string {
  const s = !numeric && FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Whether a raw value is a number-like value (written as is, never escaped). */
export function isNumeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}
