// Glue Data Catalog + Athena workgroup of the data lake. Tables are generated from lib/model (via
// lib/pipeline/lake-schema.ts), never restated. Partitions are REGISTERED by finalize (Glue
// BatchCreatePartition), not projected: project/machine/snapshot ids are open-ended strings, so the
// only projection type that fits them is `injected`, which forces an equality on every key in every
// query — fatal for cross-snapshot hunts ("this hash on any machine of the project"). Registered
// partitions let Athena prune on `project = …` alone; one partition per table per snapshot is a few
// Glue calls in finalize.
import * as glue from 'aws-cdk-lib/aws-glue';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Aws, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { tables, type TableName } from '../model';
import { PARQUET_FORMAT, glueColumns, glueTableNames, gluePartitionColumns, tableLocation } from '../pipeline/lake-schema';

export interface CatalogProps {
  lake: s3.IBucket;
  results: s3.IBucket;
  key: kms.IKey;
  /** Athena per-query scan cutoff (bytes) */
  bytesScannedCutoff?: number;
}

export class LakeCatalog extends Construct {
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly tables: Record<string, glue.CfnTable> = {};
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    // Glue database names: lower case, no hyphens; stack-unique so two installs can share an account
    this.databaseName = `memq_${Stack.of(this).stackName.toLowerCase().replace(/[^a-z0-9]/g, '_')}`;
    const db = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: 'memq object tables (Parquet, one partition per snapshot)' },
    });
    for (const t of glueTableNames()) {
      const tbl = new glue.CfnTable(this, `Table_${t}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: this.databaseName,
        tableInput: {
          name: t,
          description: tables[t as TableName].doc,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'parquet.compression': 'ZSTD' },
          partitionKeys: gluePartitionColumns(),
          storageDescriptor: {
            location: tableLocation(props.lake.bucketName, t as TableName),
            columns: glueColumns(t as TableName),
            inputFormat: PARQUET_FORMAT.inputFormat,
            outputFormat: PARQUET_FORMAT.outputFormat,
            serdeInfo: { serializationLibrary: PARQUET_FORMAT.serializationLibrary },
          },
        },
      });
      tbl.node.addDependency(db);
      this.tables[t] = tbl;
    }
    this.workGroupName = `memq-${Stack.of(this).stackName}`.slice(0, 128);
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'memq hunts: encrypted results, per-query scan cutoff',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff ?? 100 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.results.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });
  }

  /** Glue ARNs a principal needs to read (and, with write, register partitions in) the catalog. */
  glueArns(): string[] {
    const s = Stack.of(this);
    return [
      s.formatArn({ service: 'glue', resource: 'catalog' }),
      s.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
      s.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` }),
    ];
  }

  workGroupArn(): string {
    return Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName });
  }
}
