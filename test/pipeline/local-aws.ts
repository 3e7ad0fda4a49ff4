// Local AWS stand-ins for the cloud tests, started on 127.0.0.1 by the tests themselves: s3rver (in a
// child process — S3Source blocks the test's thread while it waits for bytes) and dynalite (in
// process). Clients are the real SDK v3 clients pointed at them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3 {
  endpoint: string;
  client: S3Client;
  stop(): void;
}

export async function startS3(buckets: string[]): Promise<LocalS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-s3rver-'));
  const script = `
    const S3rver = require(${JSON.stringify(require.resolve('s3rver'))});
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(dir)} })
      .run().then((a) => console.log(JSON.stringify({ port: a.port })), (e) => { console.error(e); process.exit(1); });`;
  const server: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (c) => reject(new Error(`s3rver exited with ${c}`)));
    timer = setTimeout(() => reject(new Error('s3rver did not start in 20 s')), 20000);
  }).finally(() => clearTimeout(timer));
  const endpoint = `http://127.0.0.1:${port}`;
  // WHEN_REQUIRED: no aws-chunked upload encoding, which s3rver would store verbatim
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  for (const b of buckets) await client.send(new CreateBucketCommand({ Bucket: b }));
  return {
    endpoint,
    client,
    stop() {
      client.destroy();
      if (server.exitCode === null) process.kill(server.pid!);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynamo(): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (o: object) => http.Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    client,
    async stop() {
      client.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
