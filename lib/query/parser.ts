// Recursive-descent parser: tokens → syntax tree (lib/query/ast.ts). Grammar: lib/query/README.md.
// Keywords are case-insensitive and only special where the grammar expects them, so catalog names
// such as `index`, `end` or `state` remain plain identifiers.
import type { BaseOp, ExprNode, Literal, OpNode, OrderNode, PathNode, QueryNode } from './ast';
import { queryError } from './errors';
import { tokenize, type Token } from './lexer';

const MAX_DEPTH = 200;
/** SQL aggregate functions: refused with a plain message until the language has aggregation */
const AGGREGATES = new Set(['sum', 'min', 'max', 'avg']);
const MAX_LIMIT = 10_000_000;

/** word operators: written form → base operator and case-insensitivity */
const WORD_OPS: Record<string, { base: BaseOp; insensitive: boolean }> = {
  contains: { base: 'contains', insensitive: false },
  icontains: { base: 'contains', insensitive: true },
  startswith: { base: 'startswith', insensitive: false },
  istartswith: { base: 'startswith', insensitive: true },
  endswith: { base: 'endswith', insensitive: false },
  iendswith: { base: 'endswith', insensitive: true },
  matches: { base: 'matches', insensitive: false },
  imatches: { base: 'matches', insensitive: true },
  in: { base: 'in', insensitive: false },
};
export const wordOperators = Object.keys(WORD_OPS);

const SYMBOL_OPS: Record<string, Omit<OpNode, 'text' | 'pos'>> = {
  '==': { base: 'eq', negated: false, insensitive: false },
  '!=': { base: 'eq', negated: true, insensitive: false },
  '=~': { base: 'eq', negated: false, insensitive: true },
  '!~': { base: 'eq', negated: true, insensitive: true },
  '<': { base: 'lt', negated: false, insensitive: false },
  '<=': { base: 'le', negated: false, insensitive: false },
  '>': { base: 'gt', negated: false, insensitive: false },
  '>=': { base: 'ge', negated: false, insensitive: false },
};

export const keywords = ['select', 'distinct', 'where', 'group', 'order', 'by', 'count', 'asc', 'desc', 'limit', 'and', 'or', 'not', 'true', 'false', 'null'];

export function parseQuery(text: string): QueryNode {
  return new Parser(text).query();
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  private depth = 0;

  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }

  private get t(): Token {
    return this.toks[this.i];
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isWord(w: string, t: Token = this.t): boolean {
    return t.kind === 'ident' && t.value.toLowerCase() === w;
  }
  private isOp(o: string, t: Token = this.t): boolean {
    return t.kind === 'op' && t.value === o;
  }
  private fail(t: Token, detail: string): never {
    throw queryError(this.text, t.pos, detail);
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of query';
    if (t.kind === 'string') return `string "${t.value}"`;
    return `"${t.value}"`;
  }
  private expectOp(o: string, what: string): Token {
    if (!this.isOp(o)) this.fail(this.t, `expected ${what}, found ${this.describe(this.t)}`);
    return this.next();
  }

  query(): QueryNode {
    const q: QueryNode = { order: [] };
    if (this.t.kind === 'eof') this.fail(this.t, 'empty query: write a condition such as process.process_object.name == "bash", or an object name such as process');
    if (this.isWord('select')) {
      this.next();
      if (this.isWord('distinct') && this.peek().kind === 'ident') q.distinct = { pos: this.next().pos };
      q.select = [];
      const item = () => {
        // count(*): the number of result rows per group
        if (this.isWord('count') && this.isOp('(', this.peek())) {
          const t = this.next();
          this.next();
          this.expectOp('*', '"*" in count(*) (count counts result rows)');
          this.expectOp(')', '")"');
          if (q.count) this.fail(t, 'count(*) appears twice');
          q.count = { pos: t.pos };
          return;
        }
        q.select!.push(this.path(true));
      };
      item();
      while (this.isOp(',')) {
        this.next();
        item();
      }
      if (this.isWord('where')) {
        this.next();
        q.where = this.expr();
      }
    } else if (this.isWord('where')) {
      this.next();
      q.where = this.expr();
    } else if (this.t.kind === 'ident' && !this.isOp('.', this.peek()) && this.atClauseEnd(this.peek())) {
      const t = this.next();
      q.object = { name: t.value, pos: t.pos };
    } else {
      q.where = this.expr();
    }
    if (this.isWord('group') && this.isWord('by', this.peek())) {
      this.next();
      this.next();
      q.groupBy = [this.path(false)];
      while (this.isOp(',')) {
        this.next();
        q.groupBy.push(this.path(false));
      }
    }
    if (this.isWord('order')) {
      this.next();
      if (!this.isWord('by')) this.fail(this.t, `expected "by" after "order", found ${this.describe(this.t)}`);
      this.next();
      const orderItem = () => {
        if (this.isWord('count') && !this.isOp('.', this.peek())) {
          const t = this.next();
          let desc = false;
          if (this.isWord('asc')) this.next();
          else if (this.isWord('desc')) {
            this.next();
            desc = true;
          }
          q.orderByCount = { desc, pos: t.pos };
          return;
        }
        q.order.push(this.orderItem());
      };
      orderItem();
      while (this.isOp(',')) {
        this.next();
        orderItem();
      }
    }
    if (this.isWord('limit')) {
      this.next();
      const t = this.next();
      if (t.kind !== 'number' || typeof t.num !== 'bigint' || t.num < 0n || t.num > BigInt(MAX_LIMIT))
        this.fail(t, `expected a whole number 0…${MAX_LIMIT} after "limit", found ${this.describe(t)}`);
      q.limit = { value: Number(t.num), pos: t.pos };
    }
    if (!this.atEnd()) {
      const t = this.t;
      if (this.isOp('=')) this.fail(t, 'unexpected "=" (use == to compare)');
      if (this.isOp(')')) this.fail(t, 'unbalanced ")"');
      if (this.isWord('having')) this.failAggregation(t);
      if (this.isWord('where') && !q.select) this.fail(t, '"where" follows a select list: select <fields> where <condition>');
      this.fail(t, `expected "&&", "||", "order by", "limit" or end of query, found ${this.describe(t)}`);
    }
    return q;
  }

  private atEnd(): boolean {
    return this.t.kind === 'eof';
  }

  private atClauseEnd(t: Token): boolean {
    return t.kind === 'eof' || this.isWord('order', t) || this.isWord('limit', t);
  }

  private orderItem(): OrderNode {
    const path = this.path(false);
    let desc = false;
    if (this.isWord('asc')) this.next();
    else if (this.isWord('desc')) {
      this.next();
      desc = true;
    }
    return { path, desc };
  }

  private failAggregation(t: Token, what = t.value.toLowerCase()): never {
    this.fail(
      t,
      `"${what}" is not supported: memq aggregates with count(*), select distinct and group by only ` +
        '(e.g. select process.process_object.exe_path, count(*) group by process.process_object.exe_path order by count asc)',
    );
  }

  /** object.sub_object.field, optionally [index]; `.*` allowed in select lists */
  private path(allowStar: boolean): PathNode {
    const first = this.t;
    if (allowStar && first.kind === 'ident') {
      const w = first.value.toLowerCase();
      if (AGGREGATES.has(w) && this.isOp('(', this.peek())) this.failAggregation(first);
    }
    if (first.kind !== 'ident') this.fail(first, `expected a field path such as process.process_object.name, found ${this.describe(first)}`);
    const parts = [{ name: first.value, pos: first.pos }];
    this.next();
    let end = first.end;
    let star = false;
    while (this.isOp('.')) {
      this.next();
      const t = this.t;
      if (allowStar && this.isOp('*')) {
        this.next();
        star = true;
        end = t.end;
        break;
      }
      if (t.kind !== 'ident') this.fail(t, `expected a name after ".", found ${this.describe(t)}`);
      this.next();
      parts.push({ name: t.value, pos: t.pos });
      end = t.end;
      if (parts.length > 3) this.fail(t, 'a path has at most three parts: <object>.<sub_object>.<field>');
    }
    const node: PathNode = { parts, pos: first.pos, end, star };
    if (!star && this.isOp('[')) {
      this.next();
      const t = this.next();
      let neg = false;
      let nt = t;
      if (t.kind === 'op' && t.value === '-') {
        neg = true;
        nt = this.next();
      }
      if (nt.kind !== 'number' || typeof nt.num !== 'bigint' || nt.num > 1_000_000n)
        this.fail(nt, `expected a whole-number index inside [ ], found ${this.describe(nt)}`);
      const close = this.expectOp(']', '"]"');
      node.index = { value: neg ? -Number(nt.num) : Number(nt.num), pos: t.pos };
      node.end = close.end;
    }
    return node;
  }

  private expr(): ExprNode {
    if (++this.depth > MAX_DEPTH) this.fail(this.t, `expression nested more than ${MAX_DEPTH} levels deep`);
    try {
      return this.or();
    } finally {
      this.depth--;
    }
  }

  private or(): ExprNode {
    const first = this.and();
    const items = [first];
    while (this.isOp('||') || this.isWord('or')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? first : { kind: 'or', items, pos: first.pos };
  }

  private and(): ExprNode {
    const first = this.unary();
    const items = [first];
    while (this.isOp('&&') || this.isWord('and')) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? first : { kind: 'and', items, pos: first.pos };
  }

  private unary(): ExprNode {
    if (this.isOp('!') || this.isWord('not')) {
      const t = this.next();
      if (++this.depth > MAX_DEPTH) this.fail(t, `expression nested more than ${MAX_DEPTH} levels deep`);
      try {
        return { kind: 'not', expr: this.unary(), pos: t.pos };
      } finally {
        this.depth--;
      }
    }
    if (this.isOp('(')) {
      const open = this.next();
      const e = this.expr();
      if (!this.isOp(')')) {
        const t = this.t;
        if (t.kind === 'eof') this.fail(open, 'unclosed "("');
        this.fail(t, `expected ")", found ${this.describe(t)}`);
      }
      this.next();
      return e;
    }
    return this.condition();
  }

  private condition(): ExprNode {
    const t = this.t;
    if (t.kind !== 'ident') {
      if (t.kind === 'eof') this.fail(t, 'query ends where a condition was expected');
      this.fail(t, `expected a condition (a field path such as process.process_object.name), found ${this.describe(t)}`);
    }
    const path = this.path(false);
    const op = this.operator();
    if (!op) return { kind: 'cond', path, pos: path.pos };
    // a field on the right: uid != euid
    if (this.t.kind === 'ident' && this.isOp('.', this.peek()) && op.base !== 'in') {
      const other = this.path(false);
      return { kind: 'cond', path, op, other, pos: path.pos };
    }
    const value = this.literal(op.base === 'in');
    return { kind: 'cond', path, op, value, pos: path.pos };
  }

  /** reads an operator if one follows, else null (bare boolean field) */
  private operator(): OpNode | null {
    const t = this.t;
    if (t.kind === 'op' && t.value in SYMBOL_OPS) {
      this.next();
      return { ...SYMBOL_OPS[t.value], text: t.value, pos: t.pos };
    }
    if (this.isOp('=')) this.fail(t, 'unexpected "=" (use == to compare)');
    // negated word operators: !contains, not contains, !in, not in
    let negated = false;
    let word = t;
    if ((this.isOp('!') || this.isWord('not')) && this.peek().kind === 'ident' && this.peek().value.toLowerCase() in WORD_OPS) {
      negated = true;
      this.next();
      word = this.t;
    }
    if (word.kind === 'ident' && word.value.toLowerCase() in WORD_OPS) {
      this.next();
      const w = WORD_OPS[word.value.toLowerCase()];
      let insensitive = w.insensitive;
      let text = (negated ? (t.value === '!' ? '!' : 'not ') : '') + word.value.toLowerCase();
      if (w.base === 'in' && this.isOp('~')) {
        this.next();
        insensitive = true;
        text += '~';
      }
      return { base: w.base, negated, insensitive, text, pos: t.pos };
    }
    if (this.isWord('like', word) || this.isWord('ilike', word)) this.failLike(word, this.peek());
    if (this.isWord('not', word) && (this.isWord('like', this.peek()) || this.isWord('ilike', this.peek()))) this.failLike(this.peek(), this.peek(2), '!');
    if (negated) this.fail(word, 'expected an operator after "!"');
    return null;
  }

  /** SQL's LIKE: say which memq operator does what the pattern means */
  private failLike(word: Token, v: Token, not = ''): never {
    const i = not + (word.value.toLowerCase() === 'ilike' ? 'i' : '');
    let hint = `use ${i}startswith, ${i}endswith or ${i}contains (plain text), or ${i}matches (a regular expression)`;
    if (v.kind === 'string') {
      const p = v.value;
      const inner = p.replace(/^%/, '').replace(/%$/, '');
      const plain = !/[%_]/.test(inner);
      const q = JSON.stringify(inner);
      if (plain && p.startsWith('%') && p.endsWith('%') && p.length > 1) hint = `write ${i}contains ${q}`;
      else if (plain && p.endsWith('%')) hint = `write ${i}startswith ${q}`;
      else if (plain && p.startsWith('%')) hint = `write ${i}endswith ${q}`;
      else {
        const re = '^' + p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.') + '$';
        hint = `write ${i}matches ${JSON.stringify(re)} (in a regex, .* is SQL's % and . is _)`;
      }
    }
    this.fail(word, `"${word.value}" is SQL; memq has no LIKE patterns: ${hint}`);
  }

  private literal(listExpected: boolean): Literal {
    const t = this.t;
    if (this.isOp('[') || this.isOp('(')) {
      const close = this.isOp('[') ? ']' : ')';
      if (!listExpected) this.fail(t, 'a list of values is only allowed after "in"');
      this.next();
      const items: Literal[] = [];
      if (!this.isOp(close)) {
        items.push(this.literal(false));
        while (this.isOp(',')) {
          this.next();
          if (this.isOp(close)) break; // trailing comma
          items.push(this.literal(false));
        }
      }
      const end = this.expectOp(close, `"," or "${close}" in the list`);
      if (items.length === 0) this.fail(t, 'empty list after "in"');
      if (items.length > 10_000) this.fail(t, 'more than 10000 values in one list (put large IOC lists in a file)');
      return { kind: 'list', items, pos: t.pos, end: end.end };
    }
    if (listExpected) this.fail(t, `expected a list [ … ] after "in", found ${this.describe(t)}`);
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.value, pos: t.pos, end: t.end };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.num!, text: t.value, pos: t.pos, end: t.end };
    }
    if (this.isOp('-') && this.peek().kind === 'number') {
      this.next();
      const n = this.next();
      const v = typeof n.num === 'bigint' ? -n.num : -(n.num as number);
      return { kind: 'number', value: v, text: '-' + n.value, pos: t.pos, end: n.end };
    }
    if (this.isWord('true') || this.isWord('false')) {
      this.next();
      return { kind: 'bool', value: this.isWord('true', t), pos: t.pos, end: t.end };
    }
    if (this.isWord('null')) {
      this.next();
      return { kind: 'null', pos: t.pos, end: t.end };
    }
    if (t.kind === 'ident' && this.isOp('.', this.peek())) this.fail(t, '"in" takes a list of values [ … ], not a field');
    if (t.kind === 'ident') {
      // the word as typed, including characters the lexer splits on (kworker-1, x86_64-linux, a.b-c)
      const word = /[^\s"'()\[\],&|=!<>]+/y;
      word.lastIndex = t.pos;
      const raw = word.exec(this.text)?.[0] ?? t.value;
      this.fail(t, `expected a value (string in quotes, number, true, false, null), found ${this.describe(t)} — strings need quotes: ${JSON.stringify(raw)}`);
    }
    this.fail(t, `expected a value (string in quotes, number, true, false, null), found ${this.describe(t)}`);
  }
}
