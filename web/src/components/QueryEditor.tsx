// Query editor: completion of objects, sub-objects and fields from the catalog (Ctrl+Space or typing
// after a dot; Tab/Enter accept, arrows move, Esc closes), and inline errors: the text is checked by
// the server as you type and the error is shown under the offending line/column.
import { useEffect, useRef, useState } from 'react';
import { api } from '../lib/api';
import { complete, type CompletionResult } from '../lib/completion';
import type { Session } from '../App';

export type CheckResult = { ok: true } | { ok: false; message: string; position: { line: number; column: number } | null; suggestions: string[] };

export function QueryEditor({ session, value, onChange, onRun }: { session: Session; value: string; onChange(v: string): void; onRun(): void }) {
  const ta = useRef<HTMLTextAreaElement>(null);
  const [comp, setComp] = useState<CompletionResult | null>(null);
  const [sel, setSel] = useState(0);
  const [check, setCheck] = useState<CheckResult>({ ok: true });

  useEffect(() => {
    if (!value.trim()) return setCheck({ ok: true });
    const t = setTimeout(() => void api<CheckResult>('POST', '/query/check', { text: value }).then(setCheck).catch(() => undefined), 250);
    return () => clearTimeout(t);
  }, [value]);

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
    const pos = comp.from + it.insert.length;
    setComp(null);
    requestAnimationFrame(() => {
      ta.current?.setSelectionRange(pos, pos);
      ta.current?.focus();
      if (it.insert.endsWith('.')) refresh(next, pos, true);
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
    else if (e.key === 'Escape') setComp(null);
  };
  const errLine = !check.ok && check.position ? value.split('\n')[check.position.line - 1] ?? '' : null;
  return (
    <div className="editor">
      <textarea
        ref={ta}
        data-testid="query-editor"
        className={check.ok ? '' : 'has-error'}
        value={value}
        spellCheck={false}
        rows={5}
        onChange={(e) => {
          onChange(e.target.value);
          refresh(e.target.value, e.target.selectionStart);
        }}
        onKeyDown={onKey}
        onBlur={() => setTimeout(() => setComp(null), 150)}
      />
      {comp && (
        <ul className="completion" data-testid="completion">
          {comp.items.map((it, i) => (
            <li key={it.label} className={i === sel ? 'sel' : ''} onMouseDown={(e) => (e.preventDefault(), accept(i))} data-testid="completion-item">
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
