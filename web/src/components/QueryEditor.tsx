// Query editor: a transparent textarea over a syntax-highlighted copy of the text (same font and
// wrapping, scroll kept in step), completion of objects, sub-objects and fields from the catalog
// shown at the cursor (Ctrl+Space or typing after a dot; Tab/Enter accept, arrows move, Esc closes),
// and inline errors: the text is checked by the server as you type and the error is shown under the
// offending line/column.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api } from '../lib/api';
import { complete, highlight, offsetOf, type CompletionResult } from '../lib/completion';
import type { Session } from '../App';

export type CheckResult = { ok: true } | { ok: false; message: string; position: { line: number; column: number } | null; suggestions: string[] };

export function QueryEditor({ session, value, onChange, onRun, onCheck }: { session: Session; value: string; onChange(v: string): void; onRun(): void; onCheck?(c: CheckResult): void }) {
  const ta = useRef<HTMLTextAreaElement>(null);
  const hl = useRef<HTMLPreElement>(null);
  const anchor = useRef<HTMLSpanElement>(null);
  const [comp, setComp] = useState<CompletionResult | null>(null);
  const [sel, setSel] = useState(0);
  const [check, setCheck] = useState<CheckResult>({ ok: true });
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);

  useEffect(() => {
    if (!value.trim()) return setCheck({ ok: true });
    const t = setTimeout(() => void api<CheckResult>('POST', '/query/check', { text: value }).then(setCheck).catch(() => undefined), 250);
    return () => clearTimeout(t);
  }, [value]);
  useEffect(() => onCheck?.(check), [check]);

  // place the completion list under the word being completed (the anchor span in the highlighted copy)
  useLayoutEffect(() => {
    if (!comp || !anchor.current || !hl.current) return setPos(null);
    const a = anchor.current;
    const box = hl.current;
    setPos({ left: Math.min(a.offsetLeft, Math.max(0, box.clientWidth - 380)), top: a.offsetTop - box.scrollTop + 22 });
  }, [comp, value]);

  const refresh = (text: string, cursor: number, force = false) => {
    const r = complete(session.catalog, text, cursor, session.catalog.keywords);
    const word = text.slice(r.from, cursor);
    setComp(r.items.length && (force || word.length > 0) ? r : null);
    setSel(0);
  };
  const accept = (i: number) => {
    if (!comp) return;
    const it = comp.items[i]!;
    const next = value.slice(0, comp.from) + it.insert + value.slice(comp.to);
    onChange(next);
    const p = comp.from + it.insert.length;
    setComp(null);
    requestAnimationFrame(() => {
      ta.current?.setSelectionRange(p, p);
      ta.current?.focus();
      if (it.insert.endsWith('.')) refresh(next, p, true);
    });
  };
  const onKey = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      return onRun();
    }
    if (e.ctrlKey && e.key === ' ') {
      e.preventDefault();
      return refresh(value, e.currentTarget.selectionStart, true);
    }
    if (!comp) return;
    if (e.key === 'ArrowDown') (e.preventDefault(), setSel((sel + 1) % comp.items.length));
    else if (e.key === 'ArrowUp') (e.preventDefault(), setSel((sel - 1 + comp.items.length) % comp.items.length));
    else if (e.key === 'Tab' || e.key === 'Enter') (e.preventDefault(), accept(sel));
    else if (e.key === 'Escape') (e.preventDefault(), setComp(null));
  };
  const errLine = !check.ok && check.position ? value.split('\n')[check.position.line - 1] ?? '' : null;
  const errAt = !check.ok && check.position ? offsetOf(value, check.position.line, check.position.column) : -1;

  // the highlighted copy, with the completion anchor and the error position marked inside it
  const spans: React.ReactNode[] = [];
  let off = 0;
  const cut = [comp ? comp.from : -1, errAt].filter((x) => x >= 0);
  for (const [k, t] of highlight(session.catalog, value, session.catalog.keywords).entries()) {
    let text = t.text;
    let start = off;
    off += text.length;
    for (const c of cut) {
      if (c < start || c >= start + text.length) continue;
      const head = text.slice(0, c - start);
      if (head) spans.push(<span key={`${k}-${c}-h`} className={`tok-${t.cls}`}>{head}</span>);
      if (comp && c === comp.from) spans.push(<span key={`${k}-anchor`} ref={anchor} />);
      if (c === errAt) {
        // the rest of the offending token is underlined
        spans.push(<span key={`${k}-bad`} className={`tok-${t.cls} tok-bad`}>{text.slice(c - start)}</span>);
        start += text.length;
        text = '';
      } else {
        text = text.slice(c - start);
        start = c;
      }
    }
    if (text) spans.push(<span key={k} className={`tok-${t.cls}`}>{text}</span>);
  }
  if (comp && comp.from >= value.length) spans.push(<span key="anchor-end" ref={anchor} />);

  return (
    <div className="editor">
      <div className={`editor-box ${check.ok ? '' : 'has-error'}`}>
        <pre className="hl" ref={hl} aria-hidden data-testid="query-highlight">
          {spans}
          {'\u200b\n'}
        </pre>
        <textarea
          ref={ta}
          data-testid="query-editor"
          aria-label="query"
          className={check.ok ? '' : 'has-error'}
          value={value}
          spellCheck={false}
          rows={5}
          onChange={(e) => {
            onChange(e.target.value);
            refresh(e.target.value, e.target.selectionStart);
          }}
          onScroll={(e) => hl.current && (hl.current.scrollTop = e.currentTarget.scrollTop)}
          onKeyDown={onKey}
          onBlur={() => setTimeout(() => setComp(null), 150)}
        />
      </div>
      {comp && (
        <ul className="completion" data-testid="completion" role="listbox" style={pos ? { left: pos.left, top: pos.top } : { left: 8, top: '100%' }}>
          {comp.items.map((it, i) => (
            <li key={it.label} role="option" aria-selected={i === sel} className={i === sel ? 'sel' : ''} onMouseDown={(e) => (e.preventDefault(), accept(i))} data-testid="completion-item">
              <b>{it.label}</b> <small>{it.detail}</small>
            </li>
          ))}
        </ul>
      )}
      {!check.ok && (
        <div className="query-error" data-testid="query-error">
          {check.position && (
            <pre className="caret">
              {errLine}
              {'\n'}
              {' '.repeat(Math.max(0, check.position.column - 1))}^
            </pre>
          )}
          <span data-testid="query-error-message">{check.message}</span>
        </div>
      )}
    </div>
  );
}
