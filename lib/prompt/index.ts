export * from './environment';
export * from './system';
export * from './schema';
export { JsonFieldStream } from './stream';
