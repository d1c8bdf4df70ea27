// The CodeBuild engine (CopyEngine codebuild, the default): a build runs the buildspec (skopeo) and the function
// waits for it, handing the wait over between invocations (wait.ts); builds are bound to requests (binding.ts).
import type { CopyEngine } from '../core/engine.js';
import { findStartedBuild, startBuild } from './start.js';
import { waitForBuild } from './wait.js';

export const codeBuildEngine: CopyEngine = {
  name: 'codebuild',
  async findStarted(request, plan, ports, ctx) {
    const started = await findStartedBuild(request, plan, ports, ctx);
    return started === undefined ? undefined : () => waitForBuild(started, ports, ctx);
  },
  async start(job, ports, invocation) {
    // Until the build runs, nothing may outlast the resource's deadline either.
    const ctx = { ...invocation, budget: invocation.budget.with({ deadline: job.deadline }) };
    const buildId = await startBuild(job, ports, ctx);
    return waitForBuild({ ...job, buildId }, ports, invocation);
  },
};
