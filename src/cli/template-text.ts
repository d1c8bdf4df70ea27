// Template text <-> template object, for the formats CloudFormation accepts.
import type { JsonObject } from '../template/types.js';
import { CfnYamlError, parseCfnYaml, stringifyCfnYaml } from './cfn-yaml.js';
import { UsageError } from './errors.js';

export type TemplateFormat = 'json' | 'yaml';
export const TEMPLATE_FORMATS: readonly TemplateFormat[] = ['yaml', 'json'];

export interface ParsedTemplate {
  readonly template: JsonObject;
  /** JSON when the text parses as JSON, else YAML. */
  readonly format: TemplateFormat;
}

/** Reads a template, detecting its format. Throws UsageError when it is not a template object. */
export function parseTemplateText(text: string, source: string): ParsedTemplate {
  let parsed: unknown;
  let format: TemplateFormat;
  try {
    parsed = JSON.parse(text);
    format = 'json';
  } catch {
    try {
      parsed = parseCfnYaml(text);
      format = 'yaml';
    } catch (error) {
      const reason = error instanceof CfnYamlError ? error.message : String(error);
      throw new UsageError(`${source}: ${reason}`, { cause: error });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${source} is not a template: expected a ${format.toUpperCase()} object with sections such as Resources`);
  }
  return { template: parsed as JsonObject, format };
}

export function formatTemplateText(template: JsonObject, format: TemplateFormat): string {
  return format === 'json' ? `${JSON.stringify(template, null, 2)}\n` : stringifyCfnYaml(template);
}
