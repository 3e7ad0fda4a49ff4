// A local stand-in for the AWS Marketplace Metering Service that the REAL SDK client
// (@aws-sdk/client-marketplace-metering, awsJson1_1 over HTTP) talks to: requests arrive exactly as the
// SDK serializes them and answers are parsed by the SDK's own deserializers. Its rules are the ones the
// SDK model documents for the service as it is now:
//  - ResolveCustomer of a license-based ("new") product returns CustomerAWSAccountId, LicenseArn and
//    ProductCode — no CustomerIdentifier; a legacy product also returns CustomerIdentifier.
//  - BatchMeterUsage: ≤ 25 records; license products take CustomerAWSAccountId + LicenseArn per record
//    and no request-level ProductCode (sending both is recorded as a violation: the service would bill
//    twice); CustomerIdentifier is refused for them (InvalidCustomerIdentifierException). A record 24 h
//    old or more fails the whole batch (TimestampOutOfBoundsException); a license that does not match
//    the account or is not active at the record's time fails it too (InvalidLicenseException).
//    Identical records are idempotent (same MeteringRecordId); same customer/dimension/hour with a
//    different quantity is a DuplicateRecord (not honored).
import * as http from 'node:http';

export interface License {
  account: string;
  arn: string;
  /** epoch ms; usage at [from, until) is billable */
  from: number;
  until?: number;
}

export interface StandIn {
  url: string;
  /** accepted (billed) records, once each */
  billed: { account?: string; license?: string; customer?: string; product?: string; dimension: string; hour: string; quantity: number }[];
  /** every BatchMeterUsage request body as received */
  requests: any[];
  violations: string[];
  duplicates: number;
  licenses: License[];
  tokens: Map<string, Record<string, string>>;
  /** fail the next n BatchMeterUsage calls with ThrottlingException */
  throttleNext: number;
  /** leave the next n records unprocessed */
  unprocessNext: number;
  /** drop the next n responses after processing (connection reset) */
  dropNext: number;
  now: () => Date;
  close(): Promise<void>;
}

export async function startMeteringStandIn(opts: { now: () => Date; legacyProduct?: string }): Promise<StandIn> {
  const seen = new Map<string, { quantity: number; id: string }>();
  let seq = 0;
  const s: StandIn = { url: '', billed: [], requests: [], violations: [], duplicates: 0, licenses: [], tokens: new Map(), throttleNext: 0, unprocessNext: 0, dropNext: 0, now: opts.now, close: async () => undefined };
  const fail = (res: http.ServerResponse, type: string, message: string, status = 400) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type }).end(JSON.stringify({ __type: type, message }));
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return fail(res, 'UnrecognizedClientException', 'unsigned', 403);
      const input = JSON.parse(body || '{}');
      const ok = (out: unknown) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
      if (target === 'AWSMPMeteringService.ResolveCustomer') {
        const t = s.tokens.get(input.RegistrationToken);
        if (!t) return fail(res, 'InvalidTokenException', 'Registration token is invalid');
        return ok(t);
      }
      if (target !== 'AWSMPMeteringService.BatchMeterUsage') return fail(res, 'UnknownOperationException', target);
      s.requests.push(input);
      if (s.throttleNext > 0) {
        s.throttleNext--;
        return fail(res, 'ThrottlingException', 'Rate exceeded');
      }
      const recs = (input.UsageRecords ?? []) as any[];
      if (recs.length < 1 || recs.length > 25) return fail(res, 'ValidationException', '1..25 UsageRecords');
      const legacy = !!opts.legacyProduct && input.ProductCode === opts.legacyProduct;
      const now = s.now().getTime();
      for (const r of recs) {
        const t = r.Timestamp * 1000;
        if (now - t >= 24 * 3600_000 || t > now + 3600_000) return fail(res, 'TimestampOutOfBoundsException', 'Timestamp out of bounds');
        if (legacy) {
          if (!r.CustomerIdentifier) return fail(res, 'InvalidCustomerIdentifierException', 'legacy product meters by CustomerIdentifier');
          continue;
        }
        if (r.CustomerIdentifier) return fail(res, 'InvalidCustomerIdentifierException', 'CustomerIdentifier is not supported for new integrations');
        if (input.ProductCode) s.violations.push(`ProductCode ${input.ProductCode} sent with LicenseArn records (double billing)`);
        if (!r.CustomerAWSAccountId || !r.LicenseArn) return fail(res, 'ValidationException', 'CustomerAWSAccountId and LicenseArn required');
        const l = s.licenses.find((x) => x.arn === r.LicenseArn);
        if (!l || l.account !== r.CustomerAWSAccountId || t < Math.floor(l.from / 3600_000) * 3600_000 || (l.until !== undefined && t >= l.until)) return fail(res, 'InvalidLicenseException', `license ${r.LicenseArn} not valid for this record`);
      }
      const results: any[] = [];
      const unprocessed: any[] = [];
      for (const r of recs) {
        if (s.unprocessNext > 0) {
          s.unprocessNext--;
          unprocessed.push(r);
          continue;
        }
        const who = legacy ? `legacy#${r.CustomerIdentifier}` : `${r.CustomerAWSAccountId}#${r.LicenseArn}`;
        const key = `${who}#${r.Dimension}#${r.Timestamp}`;
        const prev = seen.get(key);
        if (prev && prev.quantity !== (r.Quantity ?? 0)) {
          s.duplicates++;
          results.push({ UsageRecord: r, Status: 'DuplicateRecord' });
          continue;
        }
        if (!prev) {
          const id = `mr-${++seq}`;
          seen.set(key, { quantity: r.Quantity ?? 0, id });
          s.billed.push({
            account: r.CustomerAWSAccountId,
            license: r.LicenseArn,
            customer: r.CustomerIdentifier,
            product: legacy ? input.ProductCode : undefined,
            dimension: r.Dimension,
            hour: new Date(r.Timestamp * 1000).toISOString().slice(0, 13),
            quantity: r.Quantity ?? 0,
          });
        }
        results.push({ UsageRecord: r, Status: 'Success', MeteringRecordId: seen.get(key)!.id });
      }
      if (s.dropNext > 0) {
        s.dropNext--;
        req.socket.destroy();
        return;
      }
      ok({ Results: results, UnprocessedRecords: unprocessed });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  s.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  s.close = () => new Promise<void>((r) => server.close(() => r()));
  return s;
}
