// The transform's public shapes: what the macro handler, the CLI and the tests rely on.
import type { ALL_PLATFORMS, Architecture } from '../contract.js';

/** A CloudFormation template or template fragment, as JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** For building a readonly shape field by field (internal; not part of the public surface). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What CloudFormation tells a macro about the stack being deployed. */
export interface TransformContext {
  readonly region: string;
  readonly accountId: string;
  /** `AWS::Partition`; derived from the region when absent. */
  readonly partition?: string;
  /** `AWS::URLSuffix`; derived from the region when absent. */
  readonly urlSuffix?: string;
  /** Parameter values of the stack (the macro event's `templateParameterValues`). */
  readonly templateParameterValues: Readonly<Record<string, unknown>>;
  /**
   * How each parameter's value was given, for messages about a bad value (the CLI: `Parameters.Img.Default`,
   * `--parameter Img`). Default: `parameter <Name>`.
   */
  readonly parameterOrigins?: Readonly<Record<string, string>>;
  /**
   * The Parameters of the template's `Transform: {Name: SysdigImageFix, Parameters}` entry: the macro event's `params`
   * (CloudFormation resolved any Ref in them), or the entry as written (the CLI: resolved here the same way).
   */
  readonly transformParameters?: unknown;
}

/** Defaults from the macro's environment (macro stack parameters); template Metadata overrides them. */
export interface TransformDefaults {
  /** ServiceToken of every injected Custom::ImageMirror: an ARN string, or an intrinsic (CLI). */
  readonly mirrorFunctionArn: Json;
  readonly repositoryPrefix?: string;
  readonly serviceTimeout?: number;
}

/** What happens to one image site. */
export type Verdict =
  /** Private ECR of this region (or already rewritten by an earlier run): left untouched. */
  | 'keep'
  /** Resolved at transform time to an image Lambda cannot pull: mirrored. */
  | 'mirror'
  /** Not resolvable at transform time: mirrored, the mirror function decides at deploy time. */
  | 'deploy-time'
  /** `Metadata.SysdigImageFix.Skip: true` on the resource. */
  | 'skip'
  /** The site has a problem (listed in `errors`): the transform fails. */
  | 'failed';

export interface SiteReport {
  readonly logicalId: string;
  /** The resource's type; `Parameter` for a parameter named in MirrorParameters (`logicalId` is its name). */
  readonly resourceType: 'AWS::Lambda::Function' | 'AWS::Serverless::Function' | 'AWS::ECS::TaskDefinition' | 'Parameter';
  /**
   * Where the image is, when the logical id alone does not say it: `Parameters.<Name>`,
   * `<TaskDefinition>.ContainerDefinitions[<n>].Image`. Absent for Lambda sites (one per function).
   */
  readonly location?: string;
  /** The normalised image when resolved, else the expression as compact JSON (a failed site: the value, quoted). */
  readonly image: string;
  readonly verdict: Verdict;
  /** Literal architecture, `all` for a mirror of the whole image, or undefined when it is an expression resolved at deploy time. */
  readonly architecture?: Architecture | typeof ALL_PLATFORMS;
  /** Logical id of the Custom::ImageMirror the site now reads from (mirror and deploy-time). */
  readonly mirrorLogicalId?: string;
  /** Template parameters the image value is built from (a deployment with other values may change it). */
  readonly parameters?: readonly string[];
  /**
   * A kept site: the parameters whose value decides its registry or repository (not only its tag), so that another
   * value may name an image outside private ECR of the region. For a kept MirrorParameters parameter, itself.
   */
  readonly registryParameters?: readonly string[];
}

/** One problem, always tied to a resource (or to the template when `logicalId` is absent). */
export interface TransformProblem {
  readonly logicalId?: string;
  readonly message: string;
}

/**
 * `warnings` are things the transform did as asked but that will likely fail at deploy or run time (e.g. an ECS
 * execution role without ECR pull permission); they never fail the transform.
 * `sites` lists every image site in resource order, also on failure: a site with a problem has the verdict
 * `failed`, and the problem is in `errors`.
 */
export type TransformResult =
  | { readonly ok: true; readonly fragment: JsonObject; readonly sites: readonly SiteReport[]; readonly warnings: readonly TransformProblem[] }
  | { readonly ok: false; readonly errors: readonly TransformProblem[]; readonly sites: readonly SiteReport[]; readonly warnings: readonly TransformProblem[] };

/**
 * Signature implemented by `transform.ts`. Pure: no I/O, no clock, no randomness; the input is not mutated.
 * The result fragment shares unchanged subtrees with the input (structural sharing): copy before editing it.
 */
export type Transform = (fragment: unknown, context: TransformContext, defaults: TransformDefaults) => TransformResult;
