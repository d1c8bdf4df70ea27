// Template text <-> template object, for the formats CloudFormation accepts: text that starts with `{` is JSON,
// anything else CloudFormation YAML (cfn-yaml.ts). A YAML template is written back over its own text (yaml-edit.ts).
import type { Json, JsonObject } from '../template/types.js';
import { isPlainObject } from '../values.js';
import { readCfnYaml, type CfnYamlDocument } from './cfn-yaml.js';
import { stringifyCfnYaml } from './cfn-yaml-writer.js';
import { CfnYamlError, UsageError } from './errors.js';
import { editYamlTemplate } from './yaml-edit.js';

export type TemplateFormat = 'json' | 'yaml';
export const TEMPLATE_FORMATS: readonly TemplateFormat[] = ['yaml', 'json'];

export interface ParsedTemplate {
  readonly template: JsonObject;
  /** JSON when the text parses as JSON, else YAML. */
  readonly format: TemplateFormat;
  /** The parsed YAML text, for writing the result over it. */
  readonly yaml?: CfnYamlDocument;
}

/** `line L, column C` of an offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** JSON.parse's complaint with the offset turned into a line and column. */
function jsonProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /at position (\d+)/.exec(message);
  const reason = message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
  return offset ? `${reason} at ${position(text, Number(offset[1]))}` : reason;
}

/** CloudFormation reads a template that starts with `{` as JSON (and says "JSON not well-formed"), anything else as YAML. */
function isJsonText(text: string): boolean {
  return /^\uFEFF?\s*[{[]/.test(text);
}

/** Reads a template, detecting its format. Throws UsageError when it does not parse or is not a template object. */
export function parseTemplateText(text: string, source: string): ParsedTemplate {
  let parsed: unknown;
  let yaml: CfnYamlDocument | undefined;
  const format: TemplateFormat = isJsonText(text) ? 'json' : 'yaml';
  if (format === 'json') {
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new UsageError(`${source} is not valid JSON: ${jsonProblem(text, error)}`, { cause: error });
    }
  } else {
    try {
      yaml = readCfnYaml(text);
      parsed = yaml.value;
    } catch (error) {
      if (!(error instanceof CfnYamlError)) throw error;
      throw new UsageError(`${source} is not valid YAML: ${error.message}`, { cause: error });
    }
  }
  if (!isPlainObject(parsed)) {
    throw new UsageError(`${source} is not a template: expected a ${format.toUpperCase()} object with sections such as Resources`);
  }
  return { template: parsed as JsonObject, format, ...(yaml !== undefined ? { yaml } : {}) };
}

/** Path of the first number JSON cannot hold (a YAML `.inf` or `.nan`), or undefined. */
function nonFiniteAt(value: Json, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nonFiniteAt(item, `${path}[${index}]`);
      if (found) return found;
    }
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = nonFiniteAt(item, path === '' ? key : `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

export interface TemplateText {
  readonly text: string;
  /** Set when a YAML template could not be written over the input's text and was written afresh. */
  readonly note?: string;
}

/** The template as text; YAML over `original`'s text when given. Throws UsageError for values JSON cannot hold. */
export function formatTemplateText(template: JsonObject, format: TemplateFormat, original?: CfnYamlDocument): TemplateText {
  if (format === 'json') {
    const path = nonFiniteAt(template, '');
    if (path !== undefined) {
      throw new UsageError(`${path} is infinite or not a number (.inf or .nan in YAML); JSON cannot hold it: use --format yaml or fix the value`);
    }
    return { text: `${JSON.stringify(template, null, 2)}\n` };
  }
  if (original === undefined) return { text: stringifyCfnYaml(template) };
  const edited = editYamlTemplate(original, template);
  if (edited !== undefined) return { text: edited };
  return {
    text: stringifyCfnYaml(template),
    note: "the input's YAML layout could not be kept (comments and formatting); the template is written afresh",
  };
}
