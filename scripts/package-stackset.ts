// Organisation-wide packaging: turns the SAM macro stack (template.yaml) into plain CloudFormation that
// service-managed StackSets accept (with their default execution role they refuse any transform, SAM's
// included), with the Lambda bundles inline.
//
//   npm run package:stackset            -> dist/stackset/sysdig-image-fix.yaml, sizes printed
//   tsx scripts/package-stackset.ts --out FILE
//
// template.yaml stays the one source: the few SAM functions are converted here by a strict mapping that
// refuses any SAM feature it does not know, and the integration tests compare the result with the real
// SAM translator's output. Everything else is copied unchanged.
//
// Limits (checked 2026): CloudFormation dropped the 4096-character cap on Code.ZipFile in 2022 (see
// aws-cdk PR #20624, "inline function code can exceed 4096 bytes"). For Node.js, CloudFormation writes the
// inline source to index.js, which Node treats as CommonJS (AWS::Lambda::Function Code, CloudFormation
// Template Reference): our CommonJS bundles with handler index.handler fit exactly. What remains is the
// template size: 51,200 bytes in a request body (--template-body) and 1 MB from S3 (--template-url)
// ("Understand CloudFormation quotas"; cfn-lint 1.51 enforces 1,000,000 bytes).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isScalar, visit, type Scalar } from 'yaml';
import { parseCfnYaml } from '../src/cli/cfn-yaml.js';
import type { Json, JsonObject } from '../src/template/types.js';
import { BuildSpecCompactionError, checkInlineBuildSpecLength, compactBuildSpec } from './buildspec-compact.js';
import { NOTICES_FILE, noticesForBundles } from './notices.js';

export const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
/** CreateStackSet/UpdateStackSet TemplateBody maximum. */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;
/** Maximum template size read from S3 (TemplateURL). */
export const TEMPLATE_URL_MAX_BYTES = 1_000_000;
export const BUILD_PROJECT_LOGICAL_ID = 'MirrorBuildProject';

/** A template that cannot be packaged, with what to change. */
export class StackSetPackagingError extends Error {
  override readonly name = 'StackSetPackagingError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ------------------------------------------------------------------------------------------ YAML in/out

/** Parses a CloudFormation YAML (or JSON) template, short-form tags included (the CLI's parser). */
export function parseTemplate(text: string): JsonObject {
  let value: unknown;
  try {
    value = parseCfnYaml(text);
  } catch (error) {
    throw new StackSetPackagingError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StackSetPackagingError('the template is not a YAML mapping');
  }
  return value as JsonObject;
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Renders a template as YAML with every inline Lambda source as a literal block (readable, no escaping),
 * and proves the text parses back to exactly the same template.
 */
export function renderTemplateYaml(template: JsonObject, headerComment?: string): string {
  // YAML 1.1 output quotes every string a 1.1 reader (CloudFormation) would take for something else.
  const doc = new Document(template, { version: '1.1', aliasDuplicateObjects: false });
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'ZipFile' && isScalar(pair.value)) {
        (pair.value as Scalar).type = 'BLOCK_LITERAL';
      }
    },
  });
  if (headerComment) doc.commentBefore = headerComment;
  // lineWidth 0: never fold long lines (a minified bundle is one long line).
  const text = doc.toString({ lineWidth: 0 });
  if (JSON.stringify(parseTemplate(text)) !== JSON.stringify(template)) {
    throw new StackSetPackagingError('the rendered YAML does not parse back to the same template');
  }
  return text;
}

// ------------------------------------------------------------------------------ buildspec embedding

const BUILD_SPEC_KEY = /^( *)BuildSpec: *[|>][0-9+-]* *(?:#.*)?$/;
// YAML printable characters; a literal block cannot carry anything else unchanged ("\r" is a line break).
const NOT_EMBEDDABLE = /[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|[\u2028\u2029\ufeff]/u;

/** The BuildSpec text carried by the CodeBuild project of a parsed template. */
export function embeddedBuildSpec(template: JsonObject): string {
  const resources = template.Resources;
  const project = isObject(resources) ? resources[BUILD_PROJECT_LOGICAL_ID] : undefined;
  const properties = isObject(project) ? project.Properties : undefined;
  const source = isObject(properties) ? properties.Source : undefined;
  const buildSpec = isObject(source) ? source.BuildSpec : undefined;
  if (typeof buildSpec !== 'string') {
    throw new StackSetPackagingError(`${BUILD_PROJECT_LOGICAL_ID}.Properties.Source.BuildSpec is missing or not a string`);
  }
  return buildSpec;
}

/** A copy of `template` whose CodeBuild project runs `buildSpec`. */
export function withBuildSpec(template: JsonObject, buildSpec: string): JsonObject {
  embeddedBuildSpec(template); // the project and its BuildSpec must exist
  const copy = structuredClone(template);
  const properties = ((copy.Resources as JsonObject)[BUILD_PROJECT_LOGICAL_ID] as JsonObject).Properties as JsonObject;
  (properties.Source as JsonObject).BuildSpec = buildSpec;
  return copy;
}

/** `key: |` block lines carrying `content` exactly, for a key indented by `keyIndent` spaces. */
export function literalBlock(key: string, content: string, keyIndent: number): string[] {
  if (content.trim().length === 0) throw new StackSetPackagingError('the buildspec is empty');
  const bad = NOT_EMBEDDABLE.exec(content);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
    throw new StackSetPackagingError(
      `the buildspec contains U+${code} at offset ${bad.index}, which a YAML literal block cannot carry unchanged; ` +
        'save src/mirror/buildspec.yaml with LF line endings and printable characters only',
    );
  }
  const allLines = content.split('\n');
  const lastText = allLines.findLastIndex((line) => line.trim().length > 0);
  if (allLines.slice(lastText + 1).some((line) => line.length > 0)) {
    // YAML parsers disagree on whether such lines are content or trailing blank lines.
    throw new StackSetPackagingError('the buildspec ends with lines of only spaces or tabs; remove that trailing white space');
  }
  const trailingNewlines = /\n*$/.exec(content)![0].length;
  const chomping = trailingNewlines === 0 ? '-' : trailingNewlines === 1 ? '' : '+';
  const lines = (trailingNewlines === 0 ? content : content.slice(0, -1)).split('\n');
  // The indentation is detected from the first non-empty line unless given; give it when that line
  // starts with white space, or a blank line before it is longer than the indentation.
  const firstText = lines.findIndex((line) => line.trim().length > 0);
  const needsIndicator = /^[ \t]/.test(lines[firstText]!) || lines.slice(0, firstText).some((line) => line.length > 0);
  const pad = ' '.repeat(keyIndent + 2);
  return [`${' '.repeat(keyIndent)}${key}: |${needsIndicator ? '2' : ''}${chomping}`, ...lines.map((line) => (line.length === 0 ? '' : pad + line))];
}

/**
 * Replaces the literal block of `BuildSpec:` in template.yaml's text with `buildSpec`, leaving every
 * other byte alone, and checks that the result parses to exactly that text.
 */
export function embedBuildSpec(templateText: string, buildSpec: string): string {
  const lines = templateText.split('\n');
  const keyLines = lines.flatMap((line, index) => (BUILD_SPEC_KEY.test(line) ? [index] : []));
  if (keyLines.length !== 1) {
    throw new StackSetPackagingError(`expected exactly one "BuildSpec: |" block in the template, found ${keyLines.length}`);
  }
  const start = keyLines[0]!;
  const keyIndent = BUILD_SPEC_KEY.exec(lines[start]!)![1]!.length;
  // The block runs to the next non-blank line indented no deeper than the key.
  let end = start + 1;
  while (end < lines.length) {
    const line = lines[end]!;
    if (line.trim().length > 0 && line.length - line.trimStart().length <= keyIndent) break;
    end += 1;
  }
  const block = literalBlock('BuildSpec', buildSpec, keyIndent);
  const keeps = block[0]!.endsWith('+');
  // Blank lines after the block separate it from what follows, unless the new block keeps them as content.
  let blockEnd = end;
  if (!keeps) while (blockEnd > start + 1 && lines[blockEnd - 1]!.trim().length === 0) blockEnd -= 1;
  const result = [...lines.slice(0, start), ...block, ...lines.slice(blockEnd)].join('\n');
  const embedded = embeddedBuildSpec(parseTemplate(result));
  if (embedded !== buildSpec) {
    throw new StackSetPackagingError('embedding the buildspec did not reproduce it byte for byte');
  }
  return result;
}

/**
 * What the CodeBuild project carries for the buildspec source `source`: its compact form (scripts/buildspec-compact.ts),
 * refused when CodeBuild would refuse it.
 */
export function deployedBuildSpec(source: string): string {
  try {
    const compact = compactBuildSpec(source);
    checkInlineBuildSpecLength(compact, 'the compact form of src/mirror/buildspec.yaml');
    return compact;
  } catch (error) {
    if (error instanceof BuildSpecCompactionError) throw new StackSetPackagingError(error.message, { cause: error });
    throw error;
  }
}

// ------------------------------------------------------------------------------ SAM -> CloudFormation

/** SAM function properties this conversion knows; they mean the same on AWS::Lambda::Function. */
// Kept to what template.yaml uses and the integration test compares with the SAM translator; SAM spells
// some others differently (Tags is a map, Tracing, Events, Policies...), so they are refused, not guessed.
const PASS_THROUGH_FUNCTION_PROPERTIES = new Set([
  'FunctionName',
  'Description',
  'Handler',
  'Runtime',
  'Architectures',
  'MemorySize',
  'Timeout',
  'Role',
  'LoggingConfig',
  'Environment',
]);
/** Resource attributes CloudFormation itself understands. */
const RESOURCE_ATTRIBUTES = new Set(['Type', 'Properties', 'Condition', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata']);
/** SAM CLI build hints that mean nothing to CloudFormation. */
const SAM_CLI_METADATA = new Set(['SkipBuild', 'BuildMethod', 'BuildProperties', 'BuildArchitecture', 'ContextPath', 'WorkingDirectory', 'ProjectRootDirectory']);

/** Returns the inline source for a function's CodeUri (a folder holding index.js). */
export type BundleSource = (codeUri: string, logicalId: string) => string;

function convertFunction(logicalId: string, resource: JsonObject, bundleFor: BundleSource): JsonObject {
  const fail = (what: string): never => {
    throw new StackSetPackagingError(`${logicalId} (AWS::Serverless::Function): ${what}`);
  };
  const properties = resource.Properties;
  if (!isObject(properties)) return fail('has no Properties');
  for (const key of Object.keys(resource)) {
    if (!RESOURCE_ATTRIBUTES.has(key)) fail(`resource attribute ${key} is not supported by the StackSet conversion`);
  }
  const converted: JsonObject = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'CodeUri') continue;
    if (!PASS_THROUGH_FUNCTION_PROPERTIES.has(key)) {
      fail(`property ${key} is a SAM feature the StackSet conversion does not translate; write it out in plain CloudFormation or extend scripts/package-stackset.ts`);
    }
    converted[key] = value;
  }
  if (properties.Role === undefined) fail('needs an explicit Role (SAM would generate one; the StackSet template cannot)');
  const runtime = properties.Runtime;
  if (typeof runtime !== 'string' || !runtime.startsWith('nodejs')) fail(`Runtime must be a literal nodejs runtime for inline code, not ${JSON.stringify(runtime)}`);
  const handler = properties.Handler;
  if (typeof handler !== 'string' || !handler.startsWith('index.')) {
    fail(`Handler must be index.<export> because CloudFormation writes inline code to index.js, not ${JSON.stringify(handler)}`);
  }
  const codeUri = properties.CodeUri;
  if (typeof codeUri !== 'string' || /^s3:\/\//.test(codeUri)) fail('CodeUri must be a local folder path');
  const source = bundleFor(codeUri as string, logicalId);
  const out: JsonObject = { Type: 'AWS::Lambda::Function' };
  for (const attribute of ['Condition', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy'] as const) {
    if (resource[attribute] !== undefined) out[attribute] = resource[attribute]!;
  }
  const metadata = isObject(resource.Metadata) ? Object.fromEntries(Object.entries(resource.Metadata).filter(([key]) => !SAM_CLI_METADATA.has(key))) : {};
  if (Object.keys(metadata).length > 0) out.Metadata = metadata;
  out.Properties = { Code: { ZipFile: source }, ...converted };
  return out;
}

/** Path of the first object key `key` (not string values: inline code may mention anything). */
function findKey(value: Json, key: string, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findKey(item, key, `${path}/${index}`);
      if (found) return found;
    }
  } else if (isObject(value)) {
    for (const [name, item] of Object.entries(value)) {
      if (name === key) return path || '/';
      const found = findKey(item, key, `${path}/${name}`);
      if (found) return found;
    }
  }
  return undefined;
}

function hasSamTransformOnly(transform: Json | undefined): boolean {
  if (transform === SAM_TRANSFORM) return true;
  return Array.isArray(transform) && transform.length === 1 && transform[0] === SAM_TRANSFORM;
}

/** Plain CloudFormation equivalent of the SAM macro stack, Lambda code inline. Pure; the input is not mutated. */
export function toStackSetTemplate(samTemplate: JsonObject, bundleFor: BundleSource): JsonObject {
  if (!hasSamTransformOnly(samTemplate.Transform)) {
    throw new StackSetPackagingError(`the template's Transform must be exactly ${SAM_TRANSFORM}, found ${JSON.stringify(samTemplate.Transform ?? null)}`);
  }
  if (samTemplate.Globals !== undefined) {
    throw new StackSetPackagingError('Globals is not supported by the StackSet conversion; set the properties on each function');
  }
  const resources = samTemplate.Resources;
  if (!isObject(resources)) throw new StackSetPackagingError('the template has no Resources');
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(samTemplate)) {
    if (key === 'Transform') continue;
    out[key] = key === 'Resources' ? {} : structuredClone(value);
  }
  const convertedResources = out.Resources as JsonObject;
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isObject(resource) || typeof resource.Type !== 'string') {
      throw new StackSetPackagingError(`${logicalId}: a resource needs a Type`);
    }
    if (resource.Type === 'AWS::Serverless::Function') {
      convertedResources[logicalId] = convertFunction(logicalId, resource, bundleFor);
    } else if (resource.Type.startsWith('AWS::Serverless::')) {
      throw new StackSetPackagingError(`${logicalId}: ${resource.Type} is not supported by the StackSet conversion`);
    } else {
      convertedResources[logicalId] = structuredClone(resource);
    }
  }
  const transformAt = findKey(out, 'Fn::Transform');
  if (transformAt) throw new StackSetPackagingError(`${transformAt} uses Fn::Transform, which StackSets refuse`);
  return out;
}

// ------------------------------------------------------------------------------------------- sizes

export interface SizeReport {
  readonly bytes: number;
  /** How the template can be handed to create-stack-set. */
  readonly delivery: 'template-body' | 'template-url';
}

/** Chooses --template-body or --template-url; throws when even S3 is too small. */
export function templateSize(text: string): SizeReport {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes >= TEMPLATE_URL_MAX_BYTES) {
    throw new StackSetPackagingError(`the StackSet template is ${bytes} bytes; CloudFormation accepts less than ${TEMPLATE_URL_MAX_BYTES}. Shrink the bundles`);
  }
  return { bytes, delivery: bytes <= TEMPLATE_BODY_MAX_BYTES ? 'template-body' : 'template-url' };
}

// -------------------------------------------------------------------------------------------- main

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUTPUT = join(root, 'dist', 'stackset', 'sysdig-image-fix.yaml');
export const BUILDSPEC_PATH = join(root, 'src', 'mirror', 'buildspec.yaml');
export const TEMPLATE_PATH = join(root, 'template.yaml');

function readText(path: string, hint: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new StackSetPackagingError(`cannot read ${path}: ${hint}`, { cause: error });
  }
}

export interface PackagedTemplate {
  readonly output: string;
  readonly bytes: number;
  readonly delivery: SizeReport['delivery'];
  /** sha256 of the written file, hex. */
  readonly sha256: string;
  /** Bundle sizes, `<logical id> (<path>)` -> bytes. */
  readonly bundles: ReadonlyArray<readonly [string, number]>;
  /** The third-party notices of the inline code, written beside the template (inline code cannot carry a file). */
  readonly notices: { readonly path: string; readonly bytes: number; readonly sha256: string };
  /** What the packaging prints: one line per bundle, the template, how to hand it to CloudFormation. */
  readonly report: readonly string[];
}

/** Where the notices of a packaged template go: beside it, `<name>-THIRD-PARTY-NOTICES` for `<name>.yaml`. */
export function noticesPathFor(output: string): string {
  return join(dirname(output), `${basename(output).replace(/\.(?:ya?ml|json|template)$/i, '')}-${NOTICES_FILE}`);
}

const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A path as the report shows it: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

/**
 * template.yaml -> plain CloudFormation with the bundles inline, written to `output`, and the bundles' third-party
 * notices beside it. The one packaging of the macro stack: the StackSet template and the release template
 * (`npm run package`) are this.
 */
export function packageMacroStack(output: string, headerComment: string): PackagedTemplate {
  const templateText = readText(TEMPLATE_PATH, 'run from a checkout of sysdig-image-fix');
  const samTemplate = parseTemplate(templateText);
  const buildSpec = deployedBuildSpec(readText(BUILDSPEC_PATH, 'the buildspec is the source of the CodeBuild job'));
  // The packaged template always takes the buildspec from its one source; a stale copy in template.yaml
  // only matters to `sam deploy`, so it is reported, not fatal (the tests fail on it).
  if (embeddedBuildSpec(samTemplate) !== buildSpec) {
    process.stderr.write('warning: template.yaml carries an outdated buildspec; run: npx tsx scripts/sync-buildspec.ts\n');
  }
  const bundles: Array<[string, number]> = [];
  const inline: Array<{ logicalId: string; bundle: string }> = [];
  const converted = toStackSetTemplate(samTemplate, (codeUri, logicalId) => {
    const path = join(root, codeUri, 'index.js');
    const source = readText(path, `${logicalId}'s bundle is missing; run npm run build`);
    bundles.push([`${logicalId} (${join(codeUri, 'index.js')})`, Buffer.byteLength(source, 'utf8')]);
    inline.push({ logicalId, bundle: basename(codeUri) });
    return source;
  });
  const noticesPath = noticesPathFor(output);
  const header = `${headerComment}\n Third-party notices of the inline code: ${basename(noticesPath)}, beside this file.`;
  const text = renderTemplateYaml(withBuildSpec(converted, buildSpec), header);
  const size = templateSize(text);
  const noticesText = noticesForBundles(
    `the inline code (${inline.map((entry) => entry.logicalId).join(', ')}) of ${basename(output)}`,
    inline.map((entry) => entry.bundle),
  );
  const notices = { path: noticesPath, bytes: Buffer.byteLength(noticesText, 'utf8'), sha256: sha256Of(noticesText) };
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, text);
  writeFileSync(notices.path, noticesText);
  const report = [
    ...bundles.map(([name, bytes]) => `bundle   ${name}: ${bytes} bytes`),
    `template ${shown(output)}: ${size.bytes} bytes`,
    size.delivery === 'template-body'
      ? `fits --template-body (<= ${TEMPLATE_BODY_MAX_BYTES} bytes)`
      : `over ${TEMPLATE_BODY_MAX_BYTES} bytes: upload it to S3 and use --template-url (limit ${TEMPLATE_URL_MAX_BYTES} bytes)`,
    `notices  ${shown(notices.path)}: ${notices.bytes} bytes`,
  ];
  return { output, bytes: size.bytes, delivery: size.delivery, sha256: sha256Of(text), bundles, notices, report };
}

function main(argv: readonly string[]): void {
  const outIndex = argv.indexOf('--out');
  const output = outIndex >= 0 ? resolve(argv[outIndex + 1] ?? '') : DEFAULT_OUTPUT;
  const packaged = packageMacroStack(
    output,
    ' Generated by `npm run package:stackset` from template.yaml; do not edit.\n' + ' Plain CloudFormation (no Transform) for service-managed StackSets.',
  );
  process.stdout.write(`${packaged.report.join('\n')}\n`);
}

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function invokedDirectly(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

if (invokedDirectly(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof StackSetPackagingError)) throw error;
    process.stderr.write(`package-stackset: ${error.message}\n`);
    process.exitCode = 1;
  }
}
