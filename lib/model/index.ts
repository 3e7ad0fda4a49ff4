// Public face of the model layer: the catalog, column kinds and row types.
export * from './catalog';
export * from './columns';
