export * from './digest.js';
export * from './errors.js';
export * from './parse.js';
export * from './ecr.js';
export * from './naming.js';
