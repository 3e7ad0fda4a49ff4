// Syntax tree of the query language (what the parser produces) and the typed tree (what the
// checker produces after resolving every path against the catalog). SQL generation reads only the
// typed tree.
import type { ColumnDef, ColumnKind, ObjectDef, SubObjectDef } from '../model';

// ---- syntax ------------------------------------------------------------------------------------

export interface Name {
  name: string;
  pos: number;
}

export interface PathNode {
  /** object, sub_object, field — as written (1 to 3 parts; the checker demands 3) */
  parts: Name[];
  /** `argv[0]`: element index of a list field */
  index?: { value: number; pos: number };
  /** `process.vad_object.*` in a select list */
  star?: boolean;
  pos: number;
  end: number;
}

export type Literal =
  | { kind: 'string'; value: string; pos: number; end: number }
  | { kind: 'number'; value: bigint | number; text: string; pos: number; end: number }
  | { kind: 'bool'; value: boolean; pos: number; end: number }
  | { kind: 'null'; pos: number; end: number }
  | { kind: 'list'; items: Literal[]; pos: number; end: number };

/** Base operators; `!=`, `=~`, `!contains`, `icontains`, `in~`, … are these plus flags. */
export type BaseOp = 'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'startswith' | 'endswith' | 'matches' | 'in';

export interface OpNode {
  base: BaseOp;
  /** exact negation of the positive operator (`!=`, `!~`, `!contains`, `not in`, …) */
  negated: boolean;
  /** case-insensitive (`=~`, `!~`, `icontains`, `imatches`, `in~`, …) */
  insensitive: boolean;
  /** operator as written, for messages */
  text: string;
  pos: number;
}

export type ExprNode =
  | { kind: 'and'; items: ExprNode[]; pos: number }
  | { kind: 'or'; items: ExprNode[]; pos: number }
  | { kind: 'not'; expr: ExprNode; pos: number }
  /** `path op value`, or a bare boolean `path` (op/value absent) */
  | { kind: 'cond'; path: PathNode; op?: OpNode; value?: Literal; /** `a.b.c op a.b.d`: a field on the right */ other?: PathNode; pos: number };

export interface OrderNode {
  path: PathNode;
  desc: boolean;
}

export interface QueryNode {
  /** explicit select list (absent: the object's default columns) */
  select?: PathNode[];
  where?: ExprNode;
  /** a query that is only an object name (`process`): all objects */
  object?: Name;
  order: OrderNode[];
  limit?: { value: number; pos: number };
  /** `count(*)` in the select list (its position, for errors) */
  count?: { pos: number };
  /** `select distinct …` */
  distinct?: { pos: number };
  /** `group by <paths>` */
  groupBy?: PathNode[];
  /** `order by count [asc|desc]` */
  orderByCount?: { desc: boolean; pos: number };
}

// ---- typed -------------------------------------------------------------------------------------

export interface FieldRef {
  object: string;
  objectDef: ObjectDef;
  sub: string;
  subDef: SubObjectDef;
  /** true when sub is the object's primary sub-object (its rows ARE the objects) */
  isPrimary: boolean;
  field: string;
  column: ColumnDef;
  /** element index of a list field (0-based as written; negative counts from the end) */
  index?: number;
  /** kind of the value this reference denotes (string for argv[0]) */
  kind: ColumnKind;
  /** may be null (nullable column, or an indexed list element) */
  nullable: boolean;
  /** `object.sub.field` (plus `[i]`) */
  text: string;
}

/** A literal converted to the field's kind: the value that will be bound as a parameter. */
export type BoundValue = string | number | bigint | boolean;

export type TypedExpr =
  | { kind: 'and'; items: TypedExpr[] }
  | { kind: 'or'; items: TypedExpr[] }
  | { kind: 'not'; expr: TypedExpr }
  | TypedAtom;

export type TypedAtom =
  | { kind: 'cmp'; field: FieldRef; op: OpNode; value: BoundValue; /** element-wise on a list field */ listElements: boolean }
  | { kind: 'in'; field: FieldRef; op: OpNode; values: BoundValue[]; listElements: boolean }
  | { kind: 'null'; field: FieldRef; negated: boolean }
  | { kind: 'bool'; field: FieldRef }
  /** field op field, both of one sub-object (compared on the same row / element) */
  | { kind: 'fields'; field: FieldRef; op: OpNode; other: FieldRef };

export interface TypedQuery {
  object: string;
  objectDef: ObjectDef;
  select: FieldRef[];
  where?: TypedExpr;
  order: { field: FieldRef; desc: boolean }[];
  limit?: number;
  /** aggregation: rows grouped by the selected fields (count: with a count column, ordered by it) */
  aggregate?: { count: boolean; countOrder?: 'asc' | 'desc' };
}
