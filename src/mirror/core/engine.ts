// The one small interface between the lifecycle and the two copy engines (the macro stack's CopyEngine):
// build/engine.ts runs the CodeBuild job (skopeo) and waits for it; copy/engine.ts copies inside the function. The
// lifecycle decides everything before the copy (plan, repository, fast path, target tag) and hands over a CopyJob;
// an engine ends in one Outcome: the answer, or a hand-over to the next invocation that continues the same copy.
import type { CopyEngineName } from '../../contract.js';
import type { Outcome } from '../cfn/answers.js';
import type { CreateOrUpdateRequest } from '../cfn/events.js';
import type { MirrorPorts } from '../ports/types.js';
import type { CopyPlan } from './plan.js';
import type { InvocationContext } from './timing.js';

/** What the lifecycle asks an engine to copy. */
export interface CopyJob {
  readonly request: CreateOrUpdateRequest;
  /** With its target tag chosen (withTargetTag). */
  readonly plan: CopyPlan;
  /** Epoch milliseconds: the resource's deadline, fixed when the request first arrived. */
  readonly deadline: number;
  /** The digest the function resolved (platform manifest, or the published top manifest); undefined: not resolved. */
  readonly expectedDigest?: string;
}

export interface CopyEngine {
  readonly name: CopyEngineName;
  /**
   * The copy an earlier delivery of this same request started (Lambda delivers events at least once), as the way to
   * go on with it; undefined when there is none (best effort). `plan` is the request's plan before its target tag.
   */
  findStarted(request: CreateOrUpdateRequest, plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<(() => Promise<Outcome>) | undefined>;
  /** Copies `job` (or starts its copy and waits), handing over before the invocation ends. */
  start(job: CopyJob, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome>;
}
