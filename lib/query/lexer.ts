// Tokenizer of the memq query language. Produces identifiers, keywords are recognized by the
// parser (names like `index` or `end` stay usable as fields), numbers (decimal, hex), strings with
// escapes, and operators. Every token keeps its character offset for error positions.
import { queryError } from './errors';

export type TokenKind = 'ident' | 'number' | 'string' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** identifier text, operator text, decoded string value, or number text */
  value: string;
  /** number value (integers as bigint so 64-bit addresses survive; fractions as number) */
  num?: bigint | number;
  /** offset of the first character in the query text */
  pos: number;
  /** offset one past the last character */
  end: number;
}

// Longest first so '==' wins over '='.
const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '=~', '!~', '<', '>', '!', '=', '(', ')', '[', ']', ',', '.', '*', '~', '-'];

const MAX_QUERY_LENGTH = 256 * 1024;

export function tokenize(text: string): Token[] {
  if (text.length > MAX_QUERY_LENGTH) throw queryError(text, 0, `query is longer than ${MAX_QUERY_LENGTH} characters`);
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    // whitespace and comments (# or // to end of line)
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      const m = /[A-Za-z_][A-Za-z0-9_]*/y;
      m.lastIndex = i;
      const word = m.exec(text)![0];
      i += word.length;
      out.push({ kind: 'ident', value: word, pos: start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /0[xX][0-9A-Fa-f_]+|[0-9][0-9_]*(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
      m.lastIndex = i;
      const lit = m.exec(text)![0];
      i += lit.length;
      if (i < n && /[A-Za-z0-9_]/.test(text[i])) throw queryError(text, start, `malformed number "${lit}${text[i]}…"`);
      const clean = lit.replace(/_/g, '');
      const isFraction = /[.eE]/.test(clean) && !/^0[xX]/.test(clean);
      out.push({ kind: 'number', value: lit, num: isFraction ? Number(clean) : BigInt(clean), pos: start, end: i });
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = readString(text, i);
      out.push({ kind: 'string', value, pos: start, end });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw queryError(text, i, `unexpected character "${c}"`);
    if (op === '-' && !/[0-9]/.test(text[i + 1] ?? '')) {
      const prev = out[out.length - 1];
      if (prev && prev.end === i && (prev.kind === 'ident' || prev.kind === 'number')) {
        // an unquoted word with a dash (kworker-u8, x86-64): point at the word and quote it
        const word = /[^\s"'()\[\],&|=!<>]+/y;
        word.lastIndex = prev.pos;
        const raw = word.exec(text)?.[0] ?? prev.value;
        throw queryError(text, prev.pos, `unquoted text with "-": strings need quotes, write ${JSON.stringify(raw)}`);
      }
      throw queryError(text, i, 'unexpected "-" (only negative numbers may start with "-")');
    }
    i += op.length;
    out.push({ kind: 'op', value: op, pos: start, end: i });
  }
  out.push({ kind: 'eof', value: '', pos: n, end: n });
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };

/**
 * Reads a quoted string starting at `start` (the quote). Escapes: \n \t \r \0 \\ \" \' \xHH \uHHHH \u{H…};
 * any other backslash pair is kept verbatim (regex classes like \d, \s, \. need no doubling).
 */
function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let i = start + 1;
  let value = '';
  while (true) {
    if (i >= text.length) throw unterminated(text, start, quote, 'unterminated string (missing closing ' + quote + ')');
    const c = text[i];
    if (c === quote) return { value, end: i + 1 };
    if (c === '\n') throw unterminated(text, start, quote, 'unterminated string (strings end on the same line)');
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
      value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (e === 'u' && text[i + 2] === '{') {
      const close = text.indexOf('}', i + 3);
      const hexDigits = close < 0 ? '' : text.slice(i + 3, close);
      const cp = /^[0-9A-Fa-f]{1,6}$/.test(hexDigits) ? parseInt(hexDigits, 16) : -1;
      if (cp < 0 || cp > 0x10ffff) throw queryError(text, i, 'bad \\u{…} escape (1-6 hex digits, at most 10FFFF)');
      value += String.fromCodePoint(cp);
      i = close + 1;
    } else if (e === undefined) {
      throw unterminated(text, start, quote, 'unterminated string (missing closing ' + quote + ')');
    } else {
      // any other escape stays as written, so regexes read naturally: "\d+\.so" is \d+\.so
      value += '\\' + e;
      i += 2;
    }
  }
}

/** an unterminated string; when a backslash ate the closing quote ("\\SystemRoot\\"), explain escapes */
function unterminated(text: string, start: number, quote: string, detail: string) {
  const nl = text.indexOf('\n', start);
  const rest = text.slice(start + 1, nl < 0 ? text.length : nl);
  if (rest.includes('\\' + quote))
    return queryError(
      text,
      start,
      `${detail}: a backslash escapes the next character, so \\${quote} is a quote inside the string, not its end. ` +
        `Write a backslash as \\\\ (${quote}\\\\SystemRoot\\\\${quote} is \\SystemRoot\\), or end the string without one`,
    );
  return queryError(text, start, detail);
}
