// CloudFormation YAML: the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, ...) read into the
// JSON long form the macro sees, and templates written back as plain YAML in that long form.
// Parsing uses the YAML 1.2 core schema, so `2010-09-09` stays a string (no timestamps) and `yes`
// stays a string. Writing quotes every string a YAML 1.1 reader (CloudFormation, cfn-lint) would
// read as something else, so the output means the same thing to both.
import { Document, Pair, parseDocument, Scalar, YAMLMap, type CollectionTag, type ScalarTag } from 'yaml';

/** The template text is not valid CloudFormation YAML; the message carries line and column. */
export class CfnYamlError extends Error {
  override readonly name = 'CfnYamlError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Short tag name -> long-form key. Every tag CloudFormation documents for YAML templates. */
const SHORT_TAGS: Readonly<Record<string, string>> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  GetAtt: 'Fn::GetAtt',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Transform: 'Fn::Transform',
  ToJsonString: 'Fn::ToJsonString',
  Length: 'Fn::Length',
};

/** `!GetAtt Resource.Attribute.Path` -> `["Resource", "Attribute.Path"]` (attributes may contain dots). */
function getAttFromScalar(value: string, onError: (message: string) => void): unknown {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1) {
    onError(`!GetAtt "${value}" must be "LogicalId.Attribute"`);
    return { 'Fn::GetAtt': [value] };
  }
  return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
}

function wrapCollection(longName: string) {
  // Returning a node (not a plain object) keeps anchors and aliases inside the collection working.
  return (collection: unknown): YAMLMap => {
    const map = new YAMLMap();
    map.items.push(new Pair(new Scalar(longName), collection));
    return map;
  };
}

/** Each short tag may be written on a scalar, a sequence or a mapping; yaml selects a tag by node kind. */
function cfnTags(): (ScalarTag | CollectionTag)[] {
  return Object.entries(SHORT_TAGS).flatMap(([short, longName]): (ScalarTag | CollectionTag)[] => [
    {
      tag: `!${short}`,
      resolve: (value: string, onError: (message: string) => void) =>
        short === 'GetAtt' ? getAttFromScalar(value, onError) : { [longName]: value },
    },
    { tag: `!${short}`, collection: 'seq', resolve: wrapCollection(longName) },
    { tag: `!${short}`, collection: 'map', resolve: wrapCollection(longName) },
  ]);
}

const CUSTOM_TAGS = cfnTags();

/**
 * Parses a CloudFormation YAML (or JSON, a YAML subset) template into its JSON form.
 * Throws CfnYamlError for syntax errors, duplicate keys, unknown tags and multiple documents.
 */
export function parseCfnYaml(text: string): unknown {
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    customTags: CUSTOM_TAGS,
    uniqueKeys: true,
    prettyErrors: true,
  });
  // An unknown tag is only a warning for yaml, but CloudFormation rejects the template.
  const problems = [...doc.errors, ...doc.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED')];
  if (problems.length > 0) {
    throw new CfnYamlError(`template is not valid YAML: ${problems.map((p) => p.message).join('\n')}`, {
      cause: problems[0],
    });
  }
  try {
    // Billion-laughs guard: CloudFormation templates have no business with many aliases.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new CfnYamlError(`template is not valid YAML: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Writes a JSON-form template as YAML (long form, no anchors, no line folding: deterministic). */
export function stringifyCfnYaml(value: unknown): string {
  return new Document(value, { version: '1.1', aliasDuplicateObjects: false }).toString({ lineWidth: 0 });
}
