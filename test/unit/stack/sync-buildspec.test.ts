import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StackSetPackagingError, TEMPLATE_PATH, embedBuildSpec, embeddedBuildSpec, literalBlock, parseTemplate } from '../../../scripts/package-stackset.js';

const BEFORE = [
  'Resources:',
  '  MirrorBuildProject:',
  '    Type: AWS::CodeBuild::Project',
  '    Properties:',
  '      Source:',
  '        Type: NO_SOURCE',
  '        # generated: edit src/mirror/buildspec.yaml',
];
const AFTER = ["      Name: !Sub '${MacroName}-mirror'", 'Outputs:', '  A:', '    Value: 1', ''];

/** template.yaml-shaped text whose BuildSpec block holds `block` (already indented lines). */
function templateText(blockLines: string[], separator: string[] = []): string {
  return [...BEFORE, ...blockLines, ...separator, ...AFTER].join('\n');
}

const OLD = templateText(['        BuildSpec: |', '          version: 0.2', '          phases: {}']);

function roundTrip(buildSpec: string): string {
  return embeddedBuildSpec(parseTemplate(embedBuildSpec(OLD, buildSpec)));
}

describe('Function: embedBuildSpec', () => {
  const buildSpec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - skopeo copy "docker://${SOURCE_IMAGE}" "docker://${TARGET_IMAGE}"\n';

  it('replaces only the BuildSpec block', () => {
    const out = embedBuildSpec(OLD, buildSpec);
    expect(out.startsWith(`${BEFORE.join('\n')}\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build:\n`)).toBe(true);
    expect(out.endsWith(`\n${AFTER.join('\n')}`)).toBe(true);
    expect(embeddedBuildSpec(parseTemplate(out))).toBe(buildSpec);
  });

  it('is idempotent', () => {
    const once = embedBuildSpec(OLD, buildSpec);
    expect(embedBuildSpec(once, buildSpec)).toBe(once);
  });

  it('keeps the blank lines that separate the block from the next key', () => {
    const old = templateText(['        BuildSpec: |', '          old'], ['', '']);
    expect(embedBuildSpec(old, 'new\n')).toBe(templateText(['        BuildSpec: |', '          new'], ['', '']));
  });

  it.each([
    ['no final newline', 'version: 0.2\nphases: {}'],
    ['several final newlines', 'version: 0.2\nphases: {}\n\n\n'],
    ['a first line starting with spaces', '   # indented comment\nversion: 0.2\n'],
    ['leading blank lines', '\n\nversion: 0.2\n'],
    ['a blank line of spaces before the text', '    \nversion: 0.2\n'],
    ['tabs, quotes and YAML indicators', 'a: \'|\' "#" > - ? : \t{}[]\n'],
    ['trailing spaces', 'version: 0.2   \nphases: {}  \n'],
    ['non-ASCII text', 'echo "✓ é 😀"\n'],
    [
      'a comment line and a blank line first (the compact form)',
      '# Compact form of ...\n\nversion: 0.2\nphases:\n  a:\n    commands:\n    - |\n      f() {\n      echo "#"\n      }\n',
    ],
  ])('carries a buildspec with %s byte for byte', (_, content) => {
    expect(roundTrip(content)).toBe(content);
  });

  it('carries any printable text byte for byte (property)', () => {
    const unit = fc.constantFrom('a', 'Z', '0', ' ', ' ', '\t', '#', ':', '-', '|', '>', "'", '"', '{', '}', '[', ']', '%', '@', '`', 'é', '😀', '\n');
    fc.assert(
      fc.property(
        // Trailing lines of only white space are refused (next test); everything else must round-trip.
        fc.string({ unit, minLength: 1, maxLength: 60 }).filter((s) => /[^\s]/.test(s) && !/\n[ \t]+\n*$/.test(s)),
        (content) => roundTrip(content) === content,
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['CRLF line endings', 'version: 0.2\r\n', 'U+000d'],
    ['a control character', 'echo \u0007\n', 'U+0007'],
    ['a byte order mark', '\ufeffversion: 0.2\n', 'U+feff'],
  ])('refuses a buildspec with %s', (_, content, code) => {
    expect(() => embedBuildSpec(OLD, content)).toThrow(code);
  });

  it('refuses trailing lines of only white space, which YAML parsers read differently', () => {
    expect(() => embedBuildSpec(OLD, 'version: 0.2\n  \n')).toThrow('ends with lines of only spaces or tabs');
    expect(() => embedBuildSpec(OLD, 'version: 0.2\n\t')).toThrow('ends with lines of only spaces or tabs');
  });

  it('refuses an empty buildspec', () => {
    expect(() => embedBuildSpec(OLD, '')).toThrow('the buildspec is empty');
    expect(() => embedBuildSpec(OLD, ' \n\n')).toThrow('the buildspec is empty');
  });

  it('refuses a template with no BuildSpec block or with two', () => {
    expect(() => embedBuildSpec('Resources: {}\n', 'x\n')).toThrow('found 0');
    const twice = templateText(['        BuildSpec: |', '          a', '        BuildSpec: |', '          b']);
    expect(() => embedBuildSpec(twice, 'x\n')).toThrow(StackSetPackagingError);
  });

  it('is a no-op on template.yaml with the buildspec it already carries', () => {
    const text = readFileSync(TEMPLATE_PATH, 'utf8');
    expect(embedBuildSpec(text, embeddedBuildSpec(parseTemplate(text)))).toBe(text);
  });
});

describe('Function: literalBlock', () => {
  it.each([
    ['ends with one newline', 'a\n', '|'],
    ['ends without newline', 'a', '|-'],
    ['ends with two newlines', 'a\n\n', '|+'],
    ['starts with a space', ' a\n', '|2'],
  ])('chooses the header when the text %s', (_, content, header) => {
    expect(literalBlock('BuildSpec', content, 4)[0]).toBe(`    BuildSpec: ${header}`);
  });

  it('indents text two spaces deeper than the key and leaves empty lines empty', () => {
    expect(literalBlock('K', 'a\n\n  b\n', 2)).toEqual(['  K: |', '    a', '', '      b']);
  });
});
