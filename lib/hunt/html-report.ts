// A hunt report as ONE self-contained HTML document (inline CSS, no script, no external fetch: it opens
// offline, mails as one attachment and prints to PDF through headless Chromium): the summary, ATT&CK
// grouping, per machine, the processes involved with the evidence each playbook matched, and the
// fired playbooks' descriptions and queries. Every value from a dump is HTML-escaped: dumps are hostile.
import { severityRank } from './playbook';
import type { HuntFindings } from './report';
import type { HuntReport, PlaybookOutcome } from './runner';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bg:#f6f8fa;--crit:#8b0000;--high:#c0392b;--med:#d68910;--low:#2e86c1;--info:#707b7c}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1100px;padding:28px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:var(--muted)}code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}.sev{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.proc{border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:12px 0;break-inside:avoid}
.evidence{margin:2px 0;padding:0;list-style:none}.evidence li{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;background:var(--bg);margin:2px 0;padding:2px 6px;word-break:break-all}
pre{background:var(--bg);padding:8px;white-space:pre-wrap;word-break:break-all}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:130px}.card b{display:block;font-size:20px}
@media print{body{padding:0}h2{break-after:avoid}}
.tlp{display:inline-block;background:#000;font:700 13px/1 ui-monospace,Menlo,Consolas,monospace;padding:5px 9px;border-radius:3px;margin:0 0 10px}
.tlp[data-tlp="CLEAR"]{color:#fff}.tlp[data-tlp="GREEN"]{color:#33ff00}.tlp[data-tlp^="AMBER"]{color:#ffc000}.tlp[data-tlp="RED"]{color:#ff2b2b}.tag{display:inline-block;background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:0 8px;margin-left:6px;font-size:12px}
`;

const sev = (s: string) => `<span class="sev sev-${e(s)}">${e(s)}</span>`;
const fired = (rep: HuntReport): PlaybookOutcome[] =>
  rep.results.filter((r) => r.count > 0).sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id));

export interface HtmlReportOptions {
  title?: string;
  /** the Traffic Light Protocol label of the material (the most restrictive of what was hunted), shown top and bottom */
  tlp?: string;
  tags?: string[];
  /** one line under the title (what was hunted, when) */
  header: string;
  /** ISO time the report was made */
  generatedAt?: string;
}

const tlpMark = (o: HtmlReportOptions) => (o.tlp ? `<div class="tlp" data-tlp="${e(o.tlp)}">TLP:${e(o.tlp)}</div>${(o.tags ?? []).map((t) => `<span class="tag">${e(t)}</span>`).join('')}` : '');

/** The document's head and title block (shared by the hunt and finding reports). */
function open(title: string, o: HtmlReportOptions): string[] {
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`);
  // nothing may be fetched: images, fonts, scripts and connections are all refused
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push(`<title>${e(o.tlp ? `[TLP:${o.tlp}] ` : '')}${e(title)}</title><style>${CSS}</style></head><body>`);
  out.push(tlpMark(o));
  out.push(`<h1>${e(title)}</h1><p class="muted">${e(o.header)}${o.generatedAt ? ` — generated ${e(o.generatedAt)}` : ''}</p>`);
  return out;
}

export function huntHtml(rep: HuntReport, h: HuntFindings, o: HtmlReportOptions): string {
  const title = o.title ?? 'memq hunt report';
  const out = open(title, o);
  const procs = h.processes.filter((p) => p.process_id !== null).length;
  out.push(`<section data-section="summary"><h2>Summary</h2><div class="cards">`);
  out.push(`<div class="card"><b>${rep.playbooks_run}</b>playbooks run</div><div class="card"><b>${rep.fired}</b>fired</div>`);
  out.push(`<div class="card"><b>${h.machines.length}</b>snapshots with hits</div><div class="card"><b>${procs}</b>processes involved</div>`);
  out.push(`<div class="card"><b>${h.findings.length}</b>findings</div>${rep.errors ? `<div class="card"><b>${rep.errors}</b>query errors</div>` : ''}</div></section>`);

  if (rep.by_tactic.length) {
    out.push(`<section data-section="attack"><h2>ATT&amp;CK</h2><table><thead><tr><th>tactic</th><th>technique</th><th>playbooks (hits)</th></tr></thead><tbody>`);
    for (const t of rep.by_tactic)
      for (const tq of t.techniques)
        out.push(`<tr><td>${e(t.name)} <span class="muted">${e(t.id)}</span></td><td>${e(tq.id)} ${e(tq.name)}</td><td>${tq.playbooks.map((p) => `${sev(p.severity)} ${e(p.id)} (${p.count})`).join('<br>')}</td></tr>`);
    out.push(`</tbody></table></section>`);
  }

  out.push(`<section data-section="machines"><h2>By machine</h2>`);
  if (!h.machines.length) out.push(`<p>Nothing fired.</p>`);
  else {
    out.push(`<table><thead><tr><th>project / machine / snapshot</th><th>highest severity</th><th>playbooks fired</th><th>processes flagged</th></tr></thead><tbody>`);
    for (const m of h.machines) out.push(`<tr><td class="mono">${e(`${m.project}/${m.machine}/${m.snapshot}`)}</td><td>${sev(m.severity)}</td><td>${m.playbooks.map(e).join(', ')}</td><td>${m.processes}</td></tr>`);
    out.push(`</tbody></table>`);
  }
  out.push(`</section>`);

  if (h.processes.length) {
    out.push(`<section data-section="processes"><h2>Processes involved and their evidence</h2>`);
    for (const p of h.processes) {
      const who = p.process_id === null ? 'kernel' : `pid ${p.process_id} ${p.process_name ?? '?'}`;
      out.push(`<div class="proc" data-pid="${p.process_id ?? ''}" data-snapshot="${e(p.snapshot)}"><h3>${e(who)} ${sev(p.severity)} <span class="muted mono">${e(`${p.project}/${p.machine}/${p.snapshot}`)}</span></h3>`);
      if (p.command_line) out.push(`<div>command line: <code>${e(p.command_line)}</code></div>`);
      out.push(`<table><thead><tr><th>severity</th><th>playbook</th><th>ATT&amp;CK</th><th>evidence</th></tr></thead><tbody>`);
      for (const pb of p.playbooks)
        out.push(
          `<tr data-playbook="${e(pb.id)}"><td>${sev(pb.severity)}</td><td>${e(pb.id)}<div class="muted">${e(pb.title)}</div></td><td>${pb.techniques.map(e).join(', ')}</td><td><ul class="evidence">${pb.evidence.length ? pb.evidence.map((x) => `<li>${e(x)}</li>`).join('') : '<li>-</li>'}</ul></td></tr>`,
        );
      out.push(`</tbody></table></div>`);
    }
    out.push(`</section>`);
    out.push(`<section data-section="playbooks"><h2>Playbooks that fired</h2>`);
    for (const r of fired(rep)) {
      out.push(`<h3>${sev(r.severity)} ${e(r.id)}: ${e(r.title)}</h3>`);
      out.push(`<p class="muted">ATT&amp;CK: ${r.techniques.map((t) => e(`${t.id} ${t.name}`)).join('; ')} — ${r.count} hit${r.count === 1 ? '' : 's'} in ${r.snapshots.map(e).join(', ')}</p>`);
      if (r.description) out.push(`<p>${e(r.description.replace(/\s+/g, ' '))}</p>`);
      if (r.false_positives) out.push(`<p><i>False positives:</i> ${e(r.false_positives.replace(/\s+/g, ' '))}</p>`);
      for (const q of r.queries) out.push(`<pre>${e(q.query)}</pre>`);
    }
    out.push(`</section>`);
  }
  const errors = rep.results.flatMap((r) => r.queries.filter((q) => q.error).map((q) => `${r.id} (${q.title}): ${q.error}`));
  if (errors.length) out.push(`<section data-section="errors"><h2>Query errors</h2><ul>${errors.map((x) => `<li>${e(x)}</li>`).join('')}</ul></section>`);
  out.push(`<p class="muted">memq — ${rep.queries_run} queries in ${rep.elapsed_ms} ms</p>${tlpMark(o)}</body></html>\n`);
  return out.join('\n');
}

/** A stored result (finding): what `findingHtml` renders. */
export interface FindingInput {
  name: string;
  query: string;
  columns: string[];
  rows: unknown[][];
}

/** rows the finding report lists in full at most (the process roll-up covers every row) */
export const FINDING_TABLE_ROWS = 2000;
/** identity columns: the heading of a process block, not its evidence */
const IDENTITY = new Set(['project', 'machine', 'snapshot', 'process_id', 'parent_process_id', 'name', 'process_object.name', 'command_line', 'process_object.command_line']);
const cellText = (v: unknown): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.map(cellText).join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * A stored query result as one self-contained HTML document: the query, the processes involved (rows
 * grouped by snapshot and pid, each row's other columns as evidence) and the rows as a table.
 * `snapshotName` turns a snapshot id into what the reader knows it by.
 */
export function findingHtml(f: FindingInput, o: HtmlReportOptions & { snapshotName?: (id: string) => string }): string {
  const out = open(o.title ?? f.name, o);
  const col = (c: string) => f.columns.indexOf(c);
  const pc = col('process_id') >= 0 ? col('process_id') : col('process_object.process_id');
  const sc = col('snapshot');
  const nc = col('name') >= 0 ? col('name') : col('process_object.name');
  const cc = col('command_line') >= 0 ? col('command_line') : col('process_object.command_line');
  out.push(`<section data-section="summary"><h2>Summary</h2><div class="cards"><div class="card"><b>${f.rows.length}</b>rows</div>`);
  const procs = new Map<string, { snapshot: string; pid: unknown; name: unknown; cmd: unknown; evidence: string[] }>();
  if (pc >= 0)
    for (const r of f.rows) {
      const key = `${sc >= 0 ? cellText(r[sc]) : ''}\0${cellText(r[pc])}`;
      let p = procs.get(key);
      if (!p) procs.set(key, (p = { snapshot: sc >= 0 ? cellText(r[sc]) : '', pid: r[pc], name: nc >= 0 ? r[nc] : null, cmd: cc >= 0 ? r[cc] : null, evidence: [] }));
      const ev = f.columns.map((c, i) => (IDENTITY.has(c) || c === 'process_object.process_id' ? '' : `${c}=${cellText(r[i])}`)).filter(Boolean).join(' ');
      if (ev && !p.evidence.includes(ev)) p.evidence.push(ev);
    }
  if (pc >= 0) out.push(`<div class="card"><b>${procs.size}</b>processes involved</div>`);
  out.push(`</div><h3>Query</h3><pre>${e(f.query)}</pre></section>`);
  if (procs.size) {
    out.push(`<section data-section="processes"><h2>Processes involved and their evidence</h2>`);
    for (const p of procs.values()) {
      const snap = p.snapshot ? (o.snapshotName?.(p.snapshot) ?? p.snapshot) : '';
      out.push(`<div class="proc" data-pid="${e(cellText(p.pid))}" data-snapshot="${e(p.snapshot)}"><h3>${e(`pid ${cellText(p.pid)} ${cellText(p.name)}`.trim())} <span class="muted mono">${e(snap)}</span></h3>`);
      if (p.cmd) out.push(`<div>command line: <code>${e(cellText(p.cmd))}</code></div>`);
      out.push(`<ul class="evidence">${p.evidence.length ? p.evidence.slice(0, 200).map((x) => `<li>${e(x)}</li>`).join('') : '<li>-</li>'}</ul></div>`);
    }
    out.push(`</section>`);
  }
  out.push(`<section data-section="rows"><h2>Rows</h2><table><thead><tr>${f.columns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>`);
  for (const r of f.rows.slice(0, FINDING_TABLE_ROWS)) out.push(`<tr>${r.map((v, i) => `<td class="mono">${e(f.columns[i] === 'snapshot' && o.snapshotName ? o.snapshotName(cellText(v)) : cellText(v))}</td>`).join('')}</tr>`);
  out.push(`</tbody></table>${f.rows.length > FINDING_TABLE_ROWS ? `<p class="muted">first ${FINDING_TABLE_ROWS} of ${f.rows.length} rows</p>` : ''}</section>`);
  out.push(`${tlpMark(o)}</body></html>\n`);
  return out.join('\n');
}
