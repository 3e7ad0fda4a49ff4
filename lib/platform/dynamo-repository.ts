// Cloud metadata repository on one DynamoDB table. Each record is one item: pk = "<kind>#<id>", the
// record as JSON in `body`, and three GSI keys: by kind (list all), and by each of the kind's two
// indexed fields ("<kind>#<value>"), all sorted by id (ids are time-ordered). The CDK stack creates the
// table from `dynamoTableShape` so the key names live in one place.
import {
  CreateTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IndexField, RecordKind, RecordOf } from './model';
import { MAX_FIND, MAX_PAGE, checkRecord, indexSlot, indexValues, type MetadataRepository, type Page, type PageRequest } from './repository';

/** Key schema of the metadata table (used by tests and by lib/infra to create it). */
export const dynamoTableShape = {
  partitionKey: 'pk',
  indexes: [
    { name: 'by_kind', partitionKey: 'kind', sortKey: 'id' },
    { name: 'by_i0', partitionKey: 'i0k', sortKey: 'id' },
    { name: 'by_i1', partitionKey: 'i1k', sortKey: 'id' },
  ],
} as const;

/** CreateTable input for the metadata table (on-demand billing). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const attrs = new Set<string>(['pk']);
  for (const i of dynamoTableShape.indexes) {
    attrs.add(i.partitionKey);
    attrs.add(i.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: dynamoTableShape.indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

export async function createMetadataTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
}

/** Pages a single lookup may walk before giving up (1 MB each): bounds a request's work. */
const MAX_PAGES = 50;

export class DynamoRepository implements MetadataRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private item(kind: RecordKind, r: Record<string, unknown>) {
    const [i0, i1] = indexValues(kind, r);
    const it: Record<string, string> = { pk: `${kind}#${r.id}`, kind, id: String(r.id), body: JSON.stringify(r) };
    if (i0 !== null) it.i0k = `${kind}#${i0}`;
    if (i1 !== null) it.i1k = `${kind}#${i1}`;
    return it;
  }

  async get<K extends RecordKind>(kind: K, id: string): Promise<RecordOf<K> | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: `${kind}#${id}` }, ConsistentRead: true }));
    return out.Item ? (JSON.parse(out.Item.body as string) as RecordOf<K>) : null;
  }

  async put<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<void> {
    const r = checkRecord(kind, record) as Record<string, unknown>;
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: this.item(kind, r) }));
  }

  async create<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<boolean> {
    const r = checkRecord(kind, record) as Record<string, unknown>;
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: this.item(kind, r), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `${kind}#${id}` } }));
  }

  private async query<K extends RecordKind>(index: string, keyAttr: string, key: string, limit: number): Promise<RecordOf<K>[]> {
    const out: RecordOf<K>[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES && out.length < limit; page++) {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': keyAttr },
          ExpressionAttributeValues: { ':v': key },
          ExclusiveStartKey: start,
          Limit: Math.min(1000, limit - out.length),
        }),
      );
      for (const it of res.Items ?? []) out.push(JSON.parse(it.body as string) as RecordOf<K>);
      start = res.LastEvaluatedKey;
      if (!start) break;
    }
    return out.slice(0, limit);
  }

  async find<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, limit = MAX_FIND): Promise<RecordOf<K>[]> {
    const slot = indexSlot(kind, field);
    return this.query<K>(slot === 0 ? 'by_i0' : 'by_i1', slot === 0 ? 'i0k' : 'i1k', `${kind}#${value}`, Math.min(limit, MAX_FIND));
  }

  async page<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, opts: PageRequest): Promise<Page<RecordOf<K>>> {
    const slot = indexSlot(kind, field);
    const keyAttr = slot === 0 ? 'i0k' : 'i1k';
    const limit = Math.max(1, Math.min(opts.limit ?? MAX_PAGE, MAX_PAGE));
    const items: RecordOf<K>[] = [];
    let start: Record<string, unknown> | undefined;
    let more = false;
    // newest first (ScanIndexForward false on the id sort key), below the cursor; one extra item tells
    // whether an older page exists. DynamoDB may stop a page early (1 MB): continue until enough.
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: slot === 0 ? 'by_i0' : 'by_i1',
          KeyConditionExpression: opts.before === undefined ? '#k = :v' : '#k = :v AND #id < :before',
          ExpressionAttributeNames: { '#k': keyAttr, ...(opts.before === undefined ? {} : { '#id': 'id' }) },
          ExpressionAttributeValues: { ':v': `${kind}#${value}`, ...(opts.before === undefined ? {} : { ':before': opts.before }) },
          ScanIndexForward: false,
          ExclusiveStartKey: start,
          Limit: limit + 1 - items.length,
        }),
      );
      for (const it of res.Items ?? []) items.push(JSON.parse(it.body as string) as RecordOf<K>);
      start = res.LastEvaluatedKey;
      if (items.length > limit) {
        more = true;
        break;
      }
      if (!start) break;
    }
    const out = items.slice(0, limit);
    // stopped by the page bound with more to read: the cursor still continues where this page ends
    if (!more && start && out.length > 0) more = true;
    return { items: out, next: more && out.length > 0 ? String((out[out.length - 1] as { id: string }).id) : null };
  }

  async all<K extends RecordKind>(kind: K, limit = MAX_FIND): Promise<RecordOf<K>[]> {
    return this.query<K>('by_kind', 'kind', kind, Math.min(limit, MAX_FIND));
  }

  async close(): Promise<void> {
    this.doc.destroy();
  }
}
