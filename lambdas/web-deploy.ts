// Web-deploy Lambda (CloudFormation custom resource of the customer stack): writes the web UI built
// from web/dist — embedded in this bundle by lib/web-deploy/build.ts, see cdk.out/memq-web/embedded.cjs —
// and config.json to the web bucket. Protocol and Delete behaviour: lib/web-deploy/handler.ts.
import { S3Client } from '@aws-sdk/client-s3';
import { decodeEmbedded, type EmbeddedWeb, type WebFile } from '../lib/web-deploy/files';
import { webDeployHandler, type CustomResourceEvent, type LambdaContextLike } from '../lib/web-deploy/handler';
import { log } from '../lib/util/log';

// generated at bundle time (static path: esbuild inlines it)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const embedded = require('../cdk.out/memq-web/embedded.cjs') as EmbeddedWeb;

let files: WebFile[] | undefined;
/** The UI files this bundle carries (key, type, cache, size): for tests and logs. */
export function embeddedFiles(): { key: string; contentType: string; cacheControl: string; size: number }[] {
  files ??= decodeEmbedded(embedded);
  return files.map((f) => ({ key: f.key, contentType: f.contentType, cacheControl: f.cacheControl, size: f.body.length }));
}
export const webHash = embedded.hash;

let run: ReturnType<typeof webDeployHandler> | undefined;
export async function handler(e: CustomResourceEvent, context?: LambdaContextLike): Promise<void> {
  files ??= decodeEmbedded(embedded);
  run ??= webDeployHandler({ s3: new S3Client({}), files, log: (m, d) => log('info', m, d) });
  return run(e, context);
}
