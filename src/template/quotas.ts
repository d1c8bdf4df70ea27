// CloudFormation's own limits on the template the transform returns, checked before CloudFormation refuses it with a
// less helpful message. Values from "Understand CloudFormation quotas" and "Troubleshoot the processed template"
// (CloudFormation User Guide): 500 resources and 200 outputs per template; a processed template of at most 1 MB
// (read from S3; cfn-lint's E1002 counts 1,000,000 bytes) or 51,200 bytes when given inline (`--template-body`).
import { MIRROR_RESOURCE_TYPE } from '../contract.js';
import { TransformError } from './errors.js';
import { getOwn, isJsonObject } from './json.js';
import type { Json, JsonObject } from './types.js';

export const MAX_RESOURCES = 500;
export const MAX_OUTPUTS = 200;
/** A processed template (and a template uploaded to S3): 1 MB. */
export const MAX_TEMPLATE_BYTES = 1_000_000;
/** A template body passed in the request itself (`--template-body`, `TemplateBody`). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

const WHAT_TO_DO =
  'share images between functions (sites with the same image and architecture share one mirror), mirror some images once in a stack of ' +
  'their own and set Metadata.SysdigImageFix.Skip on the functions that use them, or split the stack (nested stacks)';

/** The transformed template breaks a CloudFormation quota. */
export class QuotaError extends TransformError {
  override readonly name = 'QuotaError';
  constructor(message: string) {
    super(`Template: ${message}`, undefined);
  }
}

const count = (section: Json | undefined): number => (isJsonObject(section) ? Object.keys(section).length : 0);
const number = (value: number): string => value.toLocaleString('en-US');

/** Segments of a path said in a message: enough to name the resource and property. */
const SHOWN_SEGMENTS = 6;

/** Where the first value nested deeper than `limit` levels is (`Resources.Fn.Properties.Value[0]…`). Iterative. */
export function deepPath(value: Json, limit: number): string | undefined {
  const stack: [Json, string, number][] = [[value, '', 0]];
  while (stack.length > 0) {
    const [current, path, depth] = stack.pop()!;
    if (depth > limit) return path === '' ? '(top)' : path;
    const segment = (text: string) => (depth < SHOWN_SEGMENTS ? `${path}${text}` : depth === SHOWN_SEGMENTS ? `${path}…` : path);
    if (Array.isArray(current)) {
      for (const [index, item] of current.entries()) stack.push([item, segment(`[${index}]`), depth + 1]);
    } else if (isJsonObject(current)) {
      for (const key of Object.keys(current)) stack.push([current[key] as Json, segment(path === '' ? key.slice(0, 64) : `.${key.slice(0, 64)}`), depth + 1]);
    }
  }
  return undefined;
}

/** Compact JSON's byte length, or the reason the value cannot be written as JSON at all. */
export function jsonBytes(value: Json): number | string {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch (error) {
    const where = deepPath(value, 1_000);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return where !== undefined ? `${where} is nested more than 1,000 levels deep (${reason})` : reason;
  }
}

/**
 * Problems with the transformed template's counted quotas (resources, outputs). `input` is the template as received:
 * how much of the excess the transform added is said, so a template that was already over says so too.
 */
export function checkQuotas(output: JsonObject, input: JsonObject): TransformError[] {
  const problems: TransformError[] = [];
  const resources = getOwn(output, 'Resources');
  const total = count(resources);
  if (total > MAX_RESOURCES) {
    const mirrors = isJsonObject(resources) ? Object.values(resources).filter((r) => getOwn(r, 'Type') === MIRROR_RESOURCE_TYPE).length : 0;
    const added = total - count(getOwn(input, 'Resources'));
    problems.push(
      new QuotaError(
        `the transformed template has ${number(total)} resources, ${number(total - MAX_RESOURCES)} over CloudFormation's quota of ${MAX_RESOURCES} ` +
          `resources per template (SysdigImageFix added ${added}; ${mirrors} are ImageMirror resources, one per distinct image and architecture); ${WHAT_TO_DO}`,
      ),
    );
  }
  const outputs = count(getOwn(output, 'Outputs'));
  if (outputs > MAX_OUTPUTS) {
    problems.push(
      new QuotaError(`the template has ${outputs} outputs, ${outputs - MAX_OUTPUTS} over CloudFormation's quota of ${MAX_OUTPUTS} per template; split the stack`),
    );
  }
  return problems;
}

/**
 * The processed template's size against CloudFormation's 1 MB, from its compact JSON's byte length (the macro
 * serialises its answer anyway; this module does not, to keep the transform's cost where it was). `input`, the
 * template as received, is measured only when over, to say how much the transform added.
 */
export function processedTemplateProblem(bytes: number, input: Json): QuotaError | undefined {
  if (bytes <= MAX_TEMPLATE_BYTES) return undefined;
  const before = jsonBytes(input);
  const added = typeof before === 'number' ? ` (SysdigImageFix added ${number(bytes - before)})` : '';
  return new QuotaError(
    `the transformed template is ${number(bytes)} bytes as JSON, ${number(bytes - MAX_TEMPLATE_BYTES)} over CloudFormation's quota of ` +
      `${number(MAX_TEMPLATE_BYTES)} bytes (1 MB) for a processed template${added}; ${WHAT_TO_DO}`,
  );
}

/** What the CLI says about the size of the template text it wrote: over 1 MB an error, over 51,200 bytes a note. */
export function templateTextSize(bytes: number): { readonly problem?: string; readonly note?: string } {
  if (bytes > MAX_TEMPLATE_BYTES) {
    return {
      problem: `the written template is ${number(bytes)} bytes, ${number(bytes - MAX_TEMPLATE_BYTES)} over CloudFormation's quota of ${number(MAX_TEMPLATE_BYTES)} bytes (1 MB) for a template read from S3; ${WHAT_TO_DO}`,
    };
  }
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    return {
      note:
        `the written template is ${number(bytes)} bytes, over the ${number(MAX_TEMPLATE_BODY_BYTES)} bytes CloudFormation takes inline (--template-body); ` +
        'deploy it from S3: aws cloudformation deploy --s3-bucket BUCKET, sam deploy (uploads it), or --template-url',
    };
  }
  return {};
}
