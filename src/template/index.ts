// Public surface of the transform core.
export { transform } from './transform.js';
export type {
  Json,
  JsonObject,
  SiteReport,
  Transform,
  TransformContext,
  TransformDefaults,
  TransformProblem,
  TransformResult,
  Verdict,
} from './types.js';
export {
  InternalTransformError,
  InvalidArchitectureError,
  InvalidImageError,
  InvalidOptionError,
  MalformedTemplateError,
  MirrorConflictError,
  MissingExecutionRoleError,
  MissingMirrorFunctionError,
  ParameterMirrorError,
  TransformError,
  UnmappableSiteError,
} from './errors.js';
export { mirrorLogicalId, mirrorReference } from './rewrite.js';
export { partitionForRegion } from '../reference/index.js';
