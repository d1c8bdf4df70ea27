// Generated CloudFormation-like YAML of the shapes whose reading once grew faster than the text (issue 16): alias keys,
// merge keys, quoted strings holding YAML 1.1 line separators, many different short tags, deep flow collections. Each generator repeats one
// unit until the text reaches the requested size, so the same shape can be read at several sizes (the linear-work
// unit test), at CloudFormation's 1 MB limit (`npm run bench`) and small (the differential test against cfn-lint).

/** Deep enough to be a deep flow collection, shallow enough for cfn-lint (PyYAML recurses; it refuses about 190). */
export const DEEP_FLOW_DEPTH = 100;

const ANCHORED_KEYS = 50;

function repeatUntil(header: string, bytes: number, unit: (index: number) => string): string {
  const parts = [header];
  let length = header.length;
  for (let index = 0; length < bytes; index++) {
    const part = unit(index);
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

export const YAML_SHAPES = {
  /** Mappings whose keys are aliases of anchored keys (`*k3 : value`). */
  'alias keys': (bytes: number) =>
    repeatUntil(
      `Metadata:\n  Keys:\n${Array.from({ length: ANCHORED_KEYS }, (_, i) => `    &k${i} Key${i}: ${i}\n`).join('')}  Uses:\n`,
      bytes,
      (i) => `    Use${i}:\n${[0, 1, 2, 3, 4].map((j) => `      *k${(i + j) % ANCHORED_KEYS} : value ${j}\n`).join('')}`,
    ),
  /** Mappings that merge an anchored mapping (`<<: *base`) and add their own keys. */
  'merge keys': (bytes: number) =>
    repeatUntil(
      'Metadata:\n  Base: &base {Runtime: nodejs24.x, MemorySize: 256, Timeout: 60, Architectures: [arm64]}\n  Functions:\n',
      bytes,
      (i) => `    Function${i}:\n      <<: *base\n      Handler: index${i}.handler\n`,
    ),
  /** Quoted strings holding U+2028 and U+2029 (line breaks in YAML 1.1, so allowed only inside quotes). */
  'quoted line separators': (bytes: number) => repeatUntil('Metadata:\n  Texts:\n', bytes, (i) => `    - "first line\u2028second line ${i}"\n    - 'one\u2029two ${i}'\n`),
  /** Short tags, each name different (`!Tag7 value` reads as `{"Fn::Tag7": "value"}`, as cfn-lint reads it). */
  'distinct short tags': (bytes: number) =>
    repeatUntil('Metadata:\n  Tagged:\n', bytes, (i) => `    Key${i}: !Tag${i} value ${i}\n    List${i}: !List${i} [a, !Ref R${i}]\n`),
  /** Flow sequences and mappings nested DEEP_FLOW_DEPTH deep. */
  'deep flow collections': (bytes: number) =>
    repeatUntil('Metadata:\n  Deep:\n', bytes, (i) => `    - ${'[{a: '.repeat(DEEP_FLOW_DEPTH / 2)}${i}${'}]'.repeat(DEEP_FLOW_DEPTH / 2)}\n`),
} as const satisfies Record<string, (bytes: number) => string>;

export type YamlShape = keyof typeof YAML_SHAPES;
