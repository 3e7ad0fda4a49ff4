// Public face of the platform layer: model, authorization, repositories and the service.
export * from './model';
export * from './authz';
export * from './errors';
export * from './repository';
export * from './service';
export { SqliteRepository } from './sqlite-repository';
export { DynamoRepository, createMetadataTable, createTableInput, dynamoTableShape } from './dynamo-repository';
