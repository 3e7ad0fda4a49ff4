// A hunt report as a responder hands it over: every hit as a finding (snapshot, process, playbook,
// the evidence that matched), rolled up per process (process → playbooks fired → evidence) and per
// machine, with each fired playbook's description and false-positive notes. Rendered as terminal
// text, Markdown (pastes into an incident report) or CSV (one finding per line); JSON carries the
// same structures next to the raw HuntReport.
import { csvField, isNumeric } from '../util/csv';
import { severityRank, type Severity } from './playbook';
import { snapshotKey, type HuntReport, type PlaybookOutcome } from './runner';

export interface Finding {
  project: string;
  machine: string;
  snapshot: string;
  /** null for kernel-wide hits (modules, syscall table, kernel log) */
  process_id: number | null;
  process_name: string | null;
  command_line: string | null;
  playbook: string;
  title: string;
  severity: Severity;
  techniques: string[];
  query_title: string;
  /** the matching element(s) and tested fields, `field=value` */
  evidence: string;
}

export interface ProcessRollup {
  project: string;
  machine: string;
  snapshot: string;
  process_id: number | null;
  process_name: string | null;
  command_line: string | null;
  severity: Severity;
  playbooks: { id: string; title: string; severity: Severity; techniques: string[]; evidence: string[] }[];
}

export interface MachineSummary {
  project: string;
  machine: string;
  snapshot: string;
  severity: Severity;
  playbooks: string[];
  processes: number;
  findings: number;
}

export interface HuntFindings {
  findings: Finding[];
  processes: ProcessRollup[];
  machines: MachineSummary[];
}

/** identity columns: shown in the roll-up's heading, not repeated as evidence */
const IDENTITY = new Set(['project', 'machine', 'snapshot', 'process_id', 'parent_process_id', 'name', 'process_object.name', 'command_line', 'process_object.command_line']);

function text(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (v instanceof Date) return isNaN(v.getTime()) ? '-' : v.toISOString();
  if (Array.isArray(v)) return v.map(text).join(' ');
  return String(v);
}

function evidenceOf(row: Record<string, unknown>, columns: string[], processRow: boolean): string {
  return columns
    .filter((c) => !(processRow ? IDENTITY.has(c) : ['project', 'machine', 'snapshot'].includes(c)))
    // a boolean tested == false (is_kernel_thread=false) is the condition's guard, not evidence
    .filter((c) => row[c] !== false)
    .map((c) => `${c}=${text(row[c])}`)
    .join(' ');
}

export function huntFindings(rep: HuntReport): HuntFindings {
  const findings: Finding[] = [];
  for (const pb of rep.results) {
    if (pb.count === 0) continue;
    for (const q of pb.queries) {
      const seen = new Set<string>();
      for (const row of q.rows) {
        const processRow = q.columns.includes('process_id');
        const f: Finding = {
          project: String(row.project ?? '?'),
          machine: String(row.machine ?? '?'),
          snapshot: String(row.snapshot ?? '?'),
          process_id: processRow && typeof row.process_id === 'number' ? row.process_id : null,
          process_name: processRow ? ((row['process_object.name'] ?? row.name ?? null) as string | null) : null,
          command_line: processRow ? ((row['process_object.command_line'] ?? row.command_line ?? null) as string | null) : null,
          playbook: pb.id,
          title: pb.title,
          severity: pb.severity,
          techniques: pb.techniques.map((t) => t.id),
          query_title: q.title,
          evidence: evidenceOf(row, q.columns, processRow),
        };
        // a condition on the command line itself: the command line is the evidence
        if (!f.evidence && f.command_line !== null) f.evidence = `command_line=${f.command_line}`;
        const key = `${snapshotKey(row)}|${f.process_id}|${f.evidence}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(f);
      }
    }
  }
  const procs = new Map<string, ProcessRollup>();
  for (const f of findings) {
    const key = `${f.project}/${f.machine}/${f.snapshot}|${f.process_id ?? 'kernel'}`;
    let p = procs.get(key);
    if (!p) {
      p = { project: f.project, machine: f.machine, snapshot: f.snapshot, process_id: f.process_id, process_name: f.process_name, command_line: f.command_line, severity: f.severity, playbooks: [] };
      procs.set(key, p);
    }
    if (severityRank[f.severity] > severityRank[p.severity]) p.severity = f.severity;
    let pb = p.playbooks.find((x) => x.id === f.playbook);
    if (!pb) p.playbooks.push((pb = { id: f.playbook, title: f.title, severity: f.severity, techniques: f.techniques, evidence: [] }));
    if (f.evidence && !pb.evidence.includes(f.evidence)) pb.evidence.push(f.evidence);
  }
  const processes = [...procs.values()].sort(
    (a, b) =>
      `${a.project}/${a.machine}/${a.snapshot}`.localeCompare(`${b.project}/${b.machine}/${b.snapshot}`) ||
      severityRank[b.severity] - severityRank[a.severity] ||
      b.playbooks.length - a.playbooks.length ||
      (a.process_id ?? -1) - (b.process_id ?? -1),
  );
  for (const p of processes) p.playbooks.sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id));
  const machines = new Map<string, MachineSummary>();
  for (const p of processes) {
    const key = `${p.project}/${p.machine}/${p.snapshot}`;
    let m = machines.get(key);
    if (!m) machines.set(key, (m = { project: p.project, machine: p.machine, snapshot: p.snapshot, severity: p.severity, playbooks: [], processes: 0, findings: 0 }));
    if (severityRank[p.severity] > severityRank[m.severity]) m.severity = p.severity;
    if (p.process_id !== null) m.processes++;
    for (const pb of p.playbooks) if (!m.playbooks.includes(pb.id)) m.playbooks.push(pb.id);
    m.findings += p.playbooks.reduce((n, pb) => n + Math.max(1, pb.evidence.length), 0);
  }
  return { findings, processes, machines: [...machines.values()] };
}

const who = (p: { process_id: number | null; process_name: string | null }) => (p.process_id === null ? 'kernel' : `pid ${p.process_id} ${p.process_name ?? '?'}`);

/** Roll-up sections for the terminal report (after the ATT&CK grouping). */
export function rollupText(rep: HuntReport, h: HuntFindings): string[] {
  const out: string[] = [];
  if (!h.processes.length) return out;
  out.push('', 'By machine');
  for (const m of h.machines)
    out.push(`  ${m.project}/${m.machine}/${m.snapshot}: [${m.severity}] ${m.playbooks.length} playbook${m.playbooks.length === 1 ? '' : 's'} fired, ${m.processes} process${m.processes === 1 ? '' : 'es'} flagged`);
  out.push('', 'By process (process → playbooks → evidence)');
  for (const p of h.processes) {
    out.push(`  ${p.project}/${p.machine}/${p.snapshot}  ${who(p)}  [${p.severity}]${p.command_line ? `  ${p.command_line}` : ''}`);
    for (const pb of p.playbooks) {
      out.push(`    [${pb.severity}] ${pb.id} (${pb.techniques.join(', ')})`);
      for (const e of pb.evidence.slice(0, 10)) out.push(`      ${e}`);
      if (pb.evidence.length > 10) out.push(`      … ${pb.evidence.length - 10} more`);
    }
  }
  out.push('', 'Playbooks that fired');
  for (const r of firedPlaybooks(rep)) {
    out.push(`  [${r.severity}] ${r.id}: ${r.title} — ${r.count} hit${r.count === 1 ? '' : 's'}`);
    if (r.description) out.push(`    ${r.description.replace(/\s+/g, ' ')}`);
    if (r.false_positives) out.push(`    false positives: ${r.false_positives.replace(/\s+/g, ' ')}`);
  }
  return out;
}

function firedPlaybooks(rep: HuntReport): PlaybookOutcome[] {
  return rep.results.filter((r) => r.count > 0).sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id));
}

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
const mdCode = (s: string) => '`' + s.replace(/`/g, "'").replace(/[\r\n]+/g, ' ') + '`';

/** The report as Markdown: summary, per machine, per process with evidence, playbooks, ATT&CK. */
export function huntMarkdown(rep: HuntReport, h: HuntFindings, header: string): string {
  const out: string[] = ['# memq hunt report', '', header, ''];
  out.push('## Summary by machine', '');
  if (!h.machines.length) out.push('Nothing fired.', '');
  else {
    out.push('| project | machine | snapshot | highest severity | playbooks fired | processes flagged |', '|---|---|---|---|---|---|');
    for (const m of h.machines) out.push(`| ${mdCell(m.project)} | ${mdCell(m.machine)} | ${mdCell(m.snapshot)} | ${m.severity} | ${m.playbooks.join(', ')} | ${m.processes} |`);
    out.push('');
  }
  if (h.processes.length) {
    out.push('## Findings by process', '');
    for (const p of h.processes) {
      out.push(`### ${mdCell(`${p.project}/${p.machine}/${p.snapshot}`)} — ${mdCell(who(p))} (${p.severity})`, '');
      if (p.command_line) out.push(`Command line: ${mdCode(p.command_line)}`, '');
      out.push('| severity | playbook | ATT&CK | evidence |', '|---|---|---|---|');
      for (const pb of p.playbooks) out.push(`| ${pb.severity} | ${pb.id} | ${pb.techniques.join(', ')} | ${pb.evidence.length ? pb.evidence.map((e) => mdCode(e)).join('<br>') : '-'} |`);
      out.push('');
    }
    out.push('## Playbooks that fired', '');
    for (const r of firedPlaybooks(rep)) {
      out.push(`### [${r.severity}] ${r.id}: ${mdCell(r.title)}`, '');
      out.push(`ATT&CK: ${r.techniques.map((t) => `${t.id} ${t.name}`).join('; ')} — ${r.count} hit${r.count === 1 ? '' : 's'} in ${r.snapshots.join(', ')}`, '');
      if (r.description) out.push(r.description.replace(/\s+/g, ' '), '');
      if (r.false_positives) out.push(`False positives: ${r.false_positives.replace(/\s+/g, ' ')}`, '');
      for (const q of r.queries) out.push('```', q.query, '```', '');
    }
  }
  for (const r of rep.results) for (const q of r.queries) if (q.error) out.push(`Error in ${r.id} (${q.title}): ${q.error}`, '');
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

export const findingColumns = ['project', 'machine', 'snapshot', 'process_id', 'process_name', 'severity', 'playbook', 'techniques', 'evidence', 'command_line'] as const;

/** one finding per line */
export function huntCsv(h: HuntFindings): string {
  const lines = [findingColumns.join(',')];
  for (const f of h.findings) {
    lines.push(
      findingColumns
        .map((c) => {
          const v = c === 'techniques' ? f.techniques.join(' ') : f[c];
          return v === null ? '' : csvField(String(v), isNumeric(v));
        })
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}
