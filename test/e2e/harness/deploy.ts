// A deploy driver that follows CloudFormation's order on the local parts:
//   1. transforms in the order the template lists them: SysdigImageFix runs the macro BUNDLE (as Lambda would,
//      with the macro stack's environment and templateParameterValues); AWS::Serverless-2016-10-31 runs the real
//      SAM translator;
//   2. each Custom::ImageMirror (conditions respected) gets a Create event with its properties resolved by the
//      driver's own intrinsic resolver and stringified as CloudFormation does, sent asynchronously to the
//      ServiceToken function; the answers are awaited on the ResponseURL server;
//   3. GetAtt of the answers resolves each function's Code.ImageUri and Architectures, and the properties of every
//      other resource (an ECS task definition, a function's environment) as CloudFormation would hand them over;
//   4. a failed Create rolls back (Delete of everything that answered); updates send Update events for changed
//      properties, Create for new resources, and Delete for replaced (new physical id) and removed ones afterwards.
// Each operation returns a Deployment object with everything the scenarios assert on.
import { randomUUID } from 'node:crypto';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { samTranslate } from '../../support/sam.js';
import type { BuildRecord, CodeBuildEmulator, StartBuildRecord } from './codebuild.js';
import { bindParameters, evaluateConditions, IntrinsicError, partitionOf, resolve, type Json, type JsonObject, type ResolveScope } from './intrinsics.js';
import type { InvocationRecord, LambdaEmulator } from './lambda.js';
import type { MacroStack } from './macro-stack.js';
import { ResponseTimeoutError, type ResponseBody, type IssuedUrl, type ResponseServer } from '../../support/response-server.js';

export const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
const MIRROR_TYPE = 'Custom::ImageMirror';
/** CloudFormation refuses custom resource answers larger than this. */
const MAX_ANSWER_BYTES = 4096;

export interface StackInput {
  /** Template text (YAML with short tags, or JSON) or an already parsed template. */
  readonly template: string | JsonObject;
  readonly parameters?: Readonly<Record<string, string>>;
  /** Exports of other stacks, for Fn::ImportValue. */
  readonly imports?: Readonly<Record<string, string>>;
}

/** One transform step of an operation. */
export interface TransformStep {
  readonly name: string;
  readonly ok: boolean;
  readonly errorMessage?: string;
  readonly ms: number;
}

/** One custom resource request CloudFormation sent, and what came back. */
export interface CustomResourceRequest {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly logicalId: string;
  readonly requestId: string;
  readonly event: JsonObject;
  readonly responseUrl: IssuedUrl;
  readonly sentAt: number;
  answer?: ResponseBody;
  answeredAt?: number;
  /** Milliseconds from sending the event to the accepted answer. */
  answerMs?: number;
  /** No answer within the ServiceTimeout (or the driver's cap). */
  timedOut: boolean;
  /** How the answer broke CloudFormation's contract (size, echoed ids, status, physical id). */
  problems: string[];
}

/** A Custom::ImageMirror as the stack holds it after an operation. */
export interface MirrorState {
  readonly logicalId: string;
  readonly properties: JsonObject;
  readonly physicalId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A Lambda function of the stack with its deploy-time values. */
export interface DeployedFunction {
  readonly logicalId: string;
  /** The resolved Code.ImageUri CloudFormation would hand Lambda. */
  readonly imageUri: string;
  /** The function's architecture (Architectures[0], default x86_64). */
  readonly architecture: string;
}

/**
 * A resource of the stack other than an ImageMirror (whose service the driver does not call), with the properties
 * CloudFormation would send to it: every intrinsic resolved, scalars kept as typed.
 */
export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  /** Undefined when the driver's resolver cannot resolve them; `unresolved` says why. */
  readonly properties?: JsonObject;
  readonly unresolved?: string;
}

export type StackStatus =
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_COMPLETE'
  | 'ROLLBACK_FAILED'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED'
  /** A transform failed or the template was refused before any resource was touched. */
  | 'VALIDATION_FAILED';

export interface Deployment {
  readonly stackName: string;
  readonly stackId: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  status: StackStatus;
  /** Why the operation failed (the first failing resource's Reason, or the transform error). */
  statusReason?: string;
  readonly parameters: Record<string, Json>;
  /** The template after every transform (undefined when a transform failed). */
  processedTemplate?: JsonObject;
  readonly transforms: TransformStep[];
  /** Every custom resource request of this operation, in the order sent (cleanup and rollback included). */
  readonly requests: CustomResourceRequest[];
  /** The stack's ImageMirror resources after the operation. */
  mirrors: MirrorState[];
  /** The stack's Lambda functions after a successful create or update. */
  functions: DeployedFunction[];
  /** Every other resource whose Condition holds, after a successful create or update (template order). */
  resources: DeployedResource[];
  /**
   * An update's resources (other than ImageMirrors) whose resolved properties changed: those CloudFormation would send
   * an Update to (a function whose ImageUri reads a mirror that answered a new image, ...). New resources are not in it.
   */
  updatedResources: string[];
  /** StartBuild calls, builds and mirror-function invocations that happened during this operation. */
  startBuildCalls: StartBuildRecord[];
  builds: BuildRecord[];
  invocations: InvocationRecord[];
  readonly startedAt: number;
  durationMs: number;
  /** Builds and invocations still running when the driver stopped waiting for stragglers (should be none). */
  leftRunning: { builds: number; invocations: number };
}

export interface DeployDriverOptions {
  readonly region: string;
  readonly accountId: string;
  readonly lambda: LambdaEmulator;
  readonly codeBuild: CodeBuildEmulator;
  readonly responses: ResponseServer;
  /** The macro stack as currently deployed (its macro name and function). */
  readonly macroStack: () => MacroStack;
  /** Upper bound on waiting for one answer, below a resource's ServiceTimeout (default 4 minutes). */
  readonly answerTimeoutMs?: number;
}

/**
 * How long an operation waits, after its last answer, for continuations and builds to end (they end within seconds;
 * what is still running after this is reported and fails the scenario). Generous: a busy host runs them late.
 */
const STRAGGLER_WAIT_MS = 180_000;

/** Where each record list stood when an operation began. */
interface Marks {
  readonly builds: number;
  readonly starts: number;
  readonly invocations: number;
}

export class DeployDriverError extends Error {
  override readonly name = 'DeployDriverError';
}

/** A GetAtt of an attribute an ImageMirror's answer lacks: CloudFormation fails the resource that reads it. */
class MirrorAttributeError extends IntrinsicError {}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** CloudFormation hands custom resources every scalar property as a string. */
function stringifyScalars(value: Json): Json {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stringifyScalars(item)]));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

function transformNames(template: JsonObject): string[] {
  const section = template.Transform;
  const entries = section === undefined ? [] : Array.isArray(section) ? section : [section];
  return entries.map((entry) => (isObject(entry) && typeof entry.Name === 'string' ? entry.Name : String(entry)));
}

function parseTemplate(template: string | JsonObject): JsonObject {
  const parsed = typeof template === 'string' ? parseCfnYaml(template) : structuredClone(template);
  if (!isObject(parsed)) throw new DeployDriverError('the template is not a mapping');
  return parsed as JsonObject;
}

/** Stack state carried between operations. */
interface StackRecord {
  readonly name: string;
  readonly id: string;
  template: JsonObject;
  parameters: Record<string, Json>;
  imports: Readonly<Record<string, string>>;
  mirrors: Map<string, MirrorState>;
  /** The resolved properties of the other resources after the last successful operation (JSON text by logical id). */
  resolved: Map<string, string>;
}

export class DeployDriver {
  private readonly stacks = new Map<string, StackRecord>();
  private readonly marks = new WeakMap<Deployment, Marks>();

  constructor(private readonly options: DeployDriverOptions) {}

  /** CreateStack: transforms, ImageMirror creates, functions; rollback on failure. */
  async createStack(stackName: string, input: StackInput): Promise<Deployment> {
    if (this.stacks.has(stackName)) throw new DeployDriverError(`stack ${stackName} already exists`);
    const stack: StackRecord = {
      name: stackName,
      id: `arn:aws:cloudformation:${this.options.region}:${this.options.accountId}:stack/${stackName}/${randomUUID()}`,
      template: {},
      parameters: {},
      imports: input.imports ?? {},
      mirrors: new Map(),
      resolved: new Map(),
    };
    const deployment = this.begin(stack, 'CREATE');
    const processed = await this.process(deployment, input);
    if (processed === undefined) return this.finish(deployment, stack);
    this.stacks.set(stackName, stack);
    stack.template = processed.template;
    stack.parameters = processed.parameters;

    const scope = this.scope(stack);
    const created = await Promise.all(
      this.activeMirrors(stack.template, scope).map((logicalId) => this.send(stack, deployment, 'Create', logicalId, this.mirrorProperties(stack, logicalId, scope))),
    );
    for (const request of created) this.remember(stack, request);
    const failed = created.find((request) => request.answer?.Status !== 'SUCCESS');
    if (failed !== undefined) return this.rollbackCreate(stack, deployment, this.failureReason(failed));
    try {
      deployment.functions = this.functions(stack);
      deployment.resources = this.resources(stack);
      this.recordResolved(deployment, stack);
    } catch (error) {
      // CloudFormation would fail creating the function (e.g. a GetAtt of an attribute the answer lacks).
      return this.rollbackCreate(stack, deployment, error instanceof Error ? error.message : String(error));
    }
    deployment.status = 'CREATE_COMPLETE';
    return this.finish(deployment, stack);
  }

  /** Create rollback: every resource that answered is deleted with the physical id it answered with. */
  private async rollbackCreate(stack: StackRecord, deployment: Deployment, reason: string): Promise<Deployment> {
    deployment.statusReason = reason;
    const deletes = await Promise.all(
      [...stack.mirrors.values()].map((mirror) => this.send(stack, deployment, 'Delete', mirror.logicalId, mirror.properties, mirror.physicalId)),
    );
    stack.mirrors.clear();
    this.stacks.delete(stack.name);
    deployment.status = deletes.every((request) => request.answer?.Status === 'SUCCESS') ? 'ROLLBACK_COMPLETE' : 'ROLLBACK_FAILED';
    return this.finish(deployment, stack);
  }

  /** UpdateStack: Update for changed properties, Create for new mirrors, then Delete of replaced and removed ones. */
  async updateStack(stackName: string, input: StackInput): Promise<Deployment> {
    const stack = this.stacks.get(stackName);
    if (stack === undefined) throw new DeployDriverError(`stack ${stackName} does not exist`);
    const deployment = this.begin(stack, 'UPDATE');
    const processed = await this.process(deployment, input);
    if (processed === undefined) return this.finish(deployment, stack);
    const previous = { template: stack.template, parameters: stack.parameters, mirrors: new Map(stack.mirrors) };
    stack.imports = input.imports ?? stack.imports;
    stack.template = processed.template;
    stack.parameters = processed.parameters;

    const scope = this.scope(stack);
    const wanted = this.activeMirrors(stack.template, scope);
    const sent = await Promise.all(
      wanted.map(async (logicalId) => {
        const properties = this.mirrorProperties(stack, logicalId, scope);
        const old = previous.mirrors.get(logicalId);
        if (old === undefined) return this.send(stack, deployment, 'Create', logicalId, properties);
        if (JSON.stringify(old.properties) === JSON.stringify(properties)) return undefined;
        return this.send(stack, deployment, 'Update', logicalId, properties, old.physicalId, old.properties);
      }),
    );
    const requests = sent.filter((request): request is CustomResourceRequest => request !== undefined);
    for (const request of requests) this.remember(stack, request);
    const failed = requests.find((request) => request.answer?.Status !== 'SUCCESS');
    if (failed !== undefined) {
      deployment.statusReason = this.failureReason(failed);
      // Update rollback: changed resources get an Update back to their old properties, new ones a Delete.
      const rollback = await Promise.all(
        requests.map((request) => {
          const old = previous.mirrors.get(request.logicalId);
          const current = stack.mirrors.get(request.logicalId);
          if (old === undefined) {
            return current === undefined ? undefined : this.send(stack, deployment, 'Delete', request.logicalId, current.properties, current.physicalId);
          }
          return this.send(stack, deployment, 'Update', request.logicalId, old.properties, current?.physicalId ?? old.physicalId, current?.properties ?? old.properties);
        }),
      );
      stack.template = previous.template;
      stack.parameters = previous.parameters;
      stack.mirrors = previous.mirrors;
      deployment.status = rollback.every((request) => request === undefined || request.answer?.Status === 'SUCCESS') ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_FAILED';
      return this.finish(deployment, stack);
    }

    // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: old physical resources of replacements, and removed resources.
    const cleanup: Array<Promise<CustomResourceRequest>> = [];
    for (const request of requests) {
      const old = previous.mirrors.get(request.logicalId);
      if (request.requestType === 'Update' && old !== undefined && request.answer?.PhysicalResourceId !== old.physicalId) {
        cleanup.push(this.send(stack, deployment, 'Delete', request.logicalId, old.properties, old.physicalId));
      }
    }
    for (const [logicalId, old] of previous.mirrors) {
      if (!wanted.includes(logicalId)) {
        stack.mirrors.delete(logicalId);
        cleanup.push(this.send(stack, deployment, 'Delete', logicalId, old.properties, old.physicalId));
      }
    }
    await Promise.all(cleanup);
    return this.complete(deployment, stack, 'UPDATE_COMPLETE');
  }

  /** DeleteStack: a Delete for every ImageMirror of the stack. */
  async deleteStack(stackName: string): Promise<Deployment> {
    const stack = this.stacks.get(stackName);
    if (stack === undefined) throw new DeployDriverError(`stack ${stackName} does not exist`);
    const deployment = this.begin(stack, 'DELETE');
    const deletes = await Promise.all(
      [...stack.mirrors.values()].map((mirror) => this.send(stack, deployment, 'Delete', mirror.logicalId, mirror.properties, mirror.physicalId)),
    );
    const failed = deletes.find((request) => request.answer?.Status !== 'SUCCESS');
    if (failed !== undefined) {
      deployment.statusReason = this.failureReason(failed);
      deployment.status = 'DELETE_FAILED';
    } else {
      stack.mirrors.clear();
      this.stacks.delete(stackName);
      deployment.status = 'DELETE_COMPLETE';
    }
    return this.finish(deployment, stack);
  }

  private begin(stack: StackRecord, operation: Deployment['operation']): Deployment {
    const deployment: Deployment = {
      stackName: stack.name,
      stackId: stack.id,
      operation,
      status: 'VALIDATION_FAILED',
      parameters: {},
      transforms: [],
      requests: [],
      mirrors: [],
      functions: [],
      resources: [],
      updatedResources: [],
      startBuildCalls: [],
      builds: [],
      invocations: [],
      startedAt: Date.now(),
      durationMs: 0,
      leftRunning: { builds: 0, invocations: 0 },
    };
    this.marks.set(deployment, {
      builds: this.options.codeBuild.allBuilds().length,
      starts: this.options.codeBuild.startRequests().length,
      invocations: this.options.lambda.allInvocations().length,
    });
    return deployment;
  }

  /** Waits (bounded) for the stragglers (continuations, builds) and fills in what happened during the operation. */
  private async finish(deployment: Deployment, stack: StackRecord): Promise<Deployment> {
    const marks = this.marks.get(deployment)!;
    deployment.durationMs = Date.now() - deployment.startedAt;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      (async () => {
        await this.options.lambda.idle();
        await this.options.codeBuild.idle();
      })(),
      new Promise((resolve) => (timer = setTimeout(resolve, STRAGGLER_WAIT_MS))),
    ]);
    clearTimeout(timer);
    deployment.mirrors = [...stack.mirrors.values()];
    deployment.builds = this.options.codeBuild.allBuilds().slice(marks.builds);
    deployment.startBuildCalls = this.options.codeBuild.startRequests().slice(marks.starts);
    deployment.invocations = this.options.lambda.allInvocations().slice(marks.invocations);
    deployment.leftRunning = {
      builds: deployment.builds.filter((build) => build.status === 'IN_PROGRESS').length,
      invocations: deployment.invocations.filter((invocation) => invocation.status === 'running').length,
    };
    return deployment;
  }

  private async complete(deployment: Deployment, stack: StackRecord, status: StackStatus): Promise<Deployment> {
    try {
      deployment.functions = this.functions(stack);
      deployment.resources = this.resources(stack);
      this.recordResolved(deployment, stack);
      deployment.status = status;
    } catch (error) {
      // CloudFormation would fail updating the function; the driver does not emulate that rollback.
      deployment.status = 'UPDATE_ROLLBACK_FAILED';
      deployment.statusReason = error instanceof Error ? error.message : String(error);
    }
    return this.finish(deployment, stack);
  }

  /** Binds parameters and runs the transforms; undefined (and status set) when the stack is refused. */
  private async process(deployment: Deployment, input: StackInput): Promise<{ template: JsonObject; parameters: Record<string, Json> } | undefined> {
    let template: JsonObject;
    let parameters: Record<string, Json>;
    try {
      template = parseTemplate(input.template);
      parameters = bindParameters(template, input.parameters ?? {});
    } catch (error) {
      deployment.statusReason = error instanceof Error ? error.message : String(error);
      return undefined;
    }
    Object.assign(deployment, { parameters });
    const macroStack = this.options.macroStack();
    for (const name of transformNames(template)) {
      const started = Date.now();
      const { Transform: _transforms, ...fragment } = template;
      let step: TransformStep;
      if (name === macroStack.macroName) {
        const outcome = await this.runMacro(name, fragment, parameters);
        step = { name, ms: Date.now() - started, ...outcome.step };
        if (outcome.fragment !== undefined) template = { ...outcome.fragment, ...remainingTransforms(template, name) };
      } else if (name === SAM_TRANSFORM) {
        try {
          const translated = await samTranslate({ ...fragment, Transform: SAM_TRANSFORM }, { region: this.options.region, parameterValues: parameters });
          const { Transform: _sam, ...rest } = translated as JsonObject;
          template = { ...rest, ...remainingTransforms(template, name) };
          step = { name, ok: true, ms: Date.now() - started };
        } catch (error) {
          step = { name, ok: false, ms: Date.now() - started, errorMessage: error instanceof Error ? error.message : String(error) };
        }
      } else {
        step = { name, ok: false, ms: 0, errorMessage: `No transform named ${this.options.accountId}::${name} found.` };
      }
      deployment.transforms.push(step);
      if (!step.ok) {
        deployment.statusReason = `Transform ${this.options.accountId}::${name} failed with: ${step.errorMessage}`;
        return undefined;
      }
    }
    deployment.processedTemplate = template;
    return { template, parameters };
  }

  /** One macro invocation through the Lambda stand-in, checked as CloudFormation checks the response. */
  private async runMacro(
    name: string,
    fragment: JsonObject,
    parameters: Record<string, Json>,
  ): Promise<{ step: { ok: boolean; errorMessage?: string }; fragment?: JsonObject }> {
    const macroStack = this.options.macroStack();
    const requestId = randomUUID();
    const event = {
      region: this.options.region,
      accountId: this.options.accountId,
      fragment,
      transformId: `${this.options.accountId}::${name}`,
      params: {},
      requestId,
      templateParameterValues: parameters,
    };
    const invocation = await this.options.lambda.invoke(macroStack.macroFunction.name, event, 'macro', 'RequestResponse').finished;
    if (invocation.status !== 'ok') return { step: { ok: false, errorMessage: `the macro function failed: ${invocation.error}` } };
    const response = invocation.result as { requestId?: unknown; status?: unknown; fragment?: unknown; errorMessage?: unknown } | null;
    if (response?.requestId !== requestId)
      return { step: { ok: false, errorMessage: `the macro answered requestId ${JSON.stringify(response?.requestId)}, not ${requestId}` } };
    if (typeof response.status !== 'string' || response.status.toLowerCase() !== 'success') {
      return { step: { ok: false, errorMessage: typeof response.errorMessage === 'string' ? response.errorMessage : `status ${JSON.stringify(response.status)}` } };
    }
    if (!isObject(response.fragment)) return { step: { ok: false, errorMessage: 'the macro answered success without a fragment' } };
    return { step: { ok: true }, fragment: response.fragment as JsonObject };
  }

  private scope(stack: StackRecord): ResolveScope {
    const template = stack.template;
    const resources = isObject(template.Resources) ? template.Resources : {};
    const base = {
      parameters: stack.parameters,
      region: this.options.region,
      accountId: this.options.accountId,
      stackName: stack.name,
      stackId: stack.id,
      mappings: isObject(template.Mappings) ? template.Mappings : {},
      imports: stack.imports,
      resources: {
        ref: (logicalId: string): string | undefined => {
          if (!Object.hasOwn(resources, logicalId)) return undefined;
          return stack.mirrors.get(logicalId)?.physicalId ?? `${stack.name}-${logicalId}-LOCAL`;
        },
        getAtt: (logicalId: string, attribute: string): Json | undefined => {
          const resource = resources[logicalId];
          if (!isObject(resource)) return undefined;
          if (resource.Type === MIRROR_TYPE) {
            const value = stack.mirrors.get(logicalId)?.data[attribute];
            if (value === undefined) {
              throw new MirrorAttributeError(`CustomResource attribute error: Vendor response doesn't contain ${attribute} attribute in object ${logicalId}`);
            }
            return value as Json;
          }
          if (attribute === 'Arn') return `arn:${partitionOf(this.options.region)}:local:${this.options.region}:${this.options.accountId}:${logicalId}`;
          return undefined;
        },
      },
    };
    return { ...base, conditions: evaluateConditions(template, base) };
  }

  /** Logical ids of the ImageMirror resources whose Condition holds. */
  private activeMirrors(template: JsonObject, scope: ResolveScope): string[] {
    const resources = isObject(template.Resources) ? template.Resources : {};
    return Object.entries(resources)
      .filter(([, resource]) => isObject(resource) && resource.Type === MIRROR_TYPE)
      .filter(([, resource]) => typeof (resource as JsonObject).Condition !== 'string' || scope.conditions[(resource as JsonObject).Condition as string] === true)
      .map(([logicalId]) => logicalId);
  }

  private mirrorProperties(stack: StackRecord, logicalId: string, scope: ResolveScope): JsonObject {
    const resource = (stack.template.Resources as JsonObject)[logicalId] as JsonObject;
    const resolved = resolve(resource.Properties ?? {}, scope);
    if (!isObject(resolved)) throw new DeployDriverError(`${logicalId} has no Properties mapping`);
    return stringifyScalars(resolved) as JsonObject;
  }

  /** Sends one request to the ServiceToken function and awaits the answer on the ResponseURL server. */
  private async send(
    stack: StackRecord,
    deployment: Deployment,
    requestType: CustomResourceRequest['requestType'],
    logicalId: string,
    properties: JsonObject,
    physicalId?: string,
    oldProperties?: JsonObject,
  ): Promise<CustomResourceRequest> {
    const requestId = randomUUID();
    const responseUrl = this.options.responses.issue(stack.id, logicalId, requestId);
    const serviceToken = typeof properties.ServiceToken === 'string' ? properties.ServiceToken : '';
    const event: JsonObject = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: responseUrl.url,
      StackId: stack.id,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: MIRROR_TYPE,
      ResourceProperties: properties,
      ...(physicalId !== undefined ? { PhysicalResourceId: physicalId } : {}),
      ...(oldProperties !== undefined ? { OldResourceProperties: oldProperties } : {}),
    };
    const request: CustomResourceRequest = { requestType, logicalId, requestId, event, responseUrl, sentAt: Date.now(), timedOut: false, problems: [] };
    deployment.requests.push(request);
    const serviceTimeoutMs = Number(properties.ServiceTimeout ?? 3600) * 1000;
    const timeoutMs = Math.min(Number.isFinite(serviceTimeoutMs) ? serviceTimeoutMs : 3_600_000, this.options.answerTimeoutMs ?? 240_000);
    try {
      this.options.lambda.invoke(serviceToken, event, 'cloudformation', 'Event');
    } catch (error) {
      request.problems.push(`ServiceToken ${serviceToken} cannot be invoked: ${error instanceof Error ? error.message : String(error)}`);
      return request;
    }
    try {
      const { answer, receivedAt } = await this.options.responses.waitForAnswer(requestId, timeoutMs);
      request.answer = answer;
      request.answeredAt = receivedAt;
      request.answerMs = receivedAt - request.sentAt;
      request.problems.push(...answerProblems(request, stack.id));
    } catch (error) {
      if (!(error instanceof ResponseTimeoutError)) throw error;
      request.timedOut = true;
    }
    return request;
  }

  /** Which resources changed since the last operation (CloudFormation's Updates), then remembers them for the next. */
  private recordResolved(deployment: Deployment, stack: StackRecord): void {
    const resolved = new Map(deployment.resources.map((resource) => [resource.logicalId, JSON.stringify(resource.properties ?? resource.unresolved ?? null)]));
    deployment.updatedResources = [...resolved].filter(([logicalId, text]) => stack.resolved.has(logicalId) && stack.resolved.get(logicalId) !== text).map(([id]) => id);
    stack.resolved = resolved;
  }

  private remember(stack: StackRecord, request: CustomResourceRequest): void {
    const answer = request.answer;
    if (answer === undefined || request.requestType === 'Delete') return;
    if (answer.Status !== 'SUCCESS' && request.requestType === 'Update') return;
    stack.mirrors.set(request.logicalId, {
      logicalId: request.logicalId,
      properties: request.event.ResourceProperties as JsonObject,
      physicalId: answer.PhysicalResourceId,
      data: answer.Data ?? {},
    });
  }

  private failureReason(request: CustomResourceRequest): string {
    if (request.timedOut) return `${request.logicalId}: CloudFormation did not receive a response from your Custom Resource within the ServiceTimeout`;
    if (request.answer === undefined) return `${request.logicalId}: ${request.problems.join('; ')}`;
    return `${request.logicalId}: Received response status [${request.answer.Status}] from custom resource. Message returned: ${request.answer.Reason ?? ''}`;
  }

  /** Every resource but the ImageMirrors whose Condition holds, its properties resolved (or why they cannot be). */
  private resources(stack: StackRecord): DeployedResource[] {
    const scope = this.scope(stack);
    const resources = isObject(stack.template.Resources) ? stack.template.Resources : {};
    const out: DeployedResource[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isObject(resource) || typeof resource.Type !== 'string' || resource.Type === MIRROR_TYPE) continue;
      if (typeof resource.Condition === 'string' && scope.conditions[resource.Condition] !== true) continue;
      try {
        const properties = resolve(resource.Properties ?? {}, scope);
        out.push({ logicalId, type: resource.Type, properties: isObject(properties) ? properties : {} });
      } catch (error) {
        // Only the driver's resolver is at its limit here (e.g. an attribute of a resource it does not create).
        if (!(error instanceof IntrinsicError) || error instanceof MirrorAttributeError) throw error;
        out.push({ logicalId, type: resource.Type, unresolved: error.message });
      }
    }
    return out;
  }

  /** Each Lambda function of the stack with its ImageUri and architecture resolved. */
  private functions(stack: StackRecord): DeployedFunction[] {
    const scope = this.scope(stack);
    const resources = isObject(stack.template.Resources) ? stack.template.Resources : {};
    const out: DeployedFunction[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (!isObject(resource)) continue;
      if (resource.Type === 'AWS::Serverless::Function') throw new DeployDriverError(`${logicalId} is still an AWS::Serverless::Function: the SAM transform did not run`);
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      if (typeof resource.Condition === 'string' && scope.conditions[resource.Condition] !== true) continue;
      const properties = isObject(resource.Properties) ? resource.Properties : {};
      const code = isObject(properties.Code) ? properties.Code : {};
      if (code.ImageUri === undefined) continue;
      const imageUri = resolve(code.ImageUri, scope);
      const architectures = properties.Architectures === undefined ? ['x86_64'] : resolve(properties.Architectures, scope);
      if (typeof imageUri !== 'string') throw new DeployDriverError(`${logicalId}: Code.ImageUri resolved to ${JSON.stringify(imageUri)}, not a string`);
      if (!Array.isArray(architectures) || architectures.length !== 1 || typeof architectures[0] !== 'string') {
        throw new DeployDriverError(`${logicalId}: Architectures resolved to ${JSON.stringify(architectures)}; Lambda wants exactly one`);
      }
      out.push({ logicalId, imageUri, architecture: architectures[0] });
    }
    return out;
  }
}

/** The Transform entries after `name` (what is left for CloudFormation to run), as a section to merge back. */
function remainingTransforms(template: JsonObject, name: string): JsonObject {
  const names = transformNames(template);
  const rest = names.slice(names.indexOf(name) + 1);
  return rest.length === 0 ? {} : { Transform: rest };
}

/** How an answer breaks CloudFormation's custom resource contract. */
function answerProblems(request: CustomResourceRequest, stackId: string): string[] {
  const answer = request.answer!;
  const problems: string[] = [];
  const bytes = Buffer.byteLength(JSON.stringify(answer));
  if (bytes > MAX_ANSWER_BYTES) problems.push(`the answer is ${bytes} bytes; CloudFormation accepts at most ${MAX_ANSWER_BYTES}`);
  if (answer.Status !== 'SUCCESS' && answer.Status !== 'FAILED') problems.push(`Status ${JSON.stringify(answer.Status)} is neither SUCCESS nor FAILED`);
  if (answer.RequestId !== request.requestId) problems.push('RequestId is not echoed');
  if (answer.StackId !== stackId) problems.push('StackId is not echoed');
  if (answer.LogicalResourceId !== request.logicalId) problems.push('LogicalResourceId is not echoed');
  if (typeof answer.PhysicalResourceId !== 'string' || answer.PhysicalResourceId === '' || answer.PhysicalResourceId.length > 1024) {
    problems.push('PhysicalResourceId is missing or longer than 1 KB');
  }
  if (request.requestType === 'Delete' && answer.Status === 'SUCCESS' && answer.PhysicalResourceId !== request.event.PhysicalResourceId) {
    problems.push('a Delete answered with a different PhysicalResourceId');
  }
  return problems;
}
