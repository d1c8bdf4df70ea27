// The reading of the docs' conventions (test/support/doc-tests.ts) and of links and headings (test/support/markdown.ts)
// that test/integration/docs.test.ts relies on: what counts as a command, a sample, a marker, a match.
import { describe, expect, it } from 'vitest';
import { extractDocTests, isOfflineCommand, matchSample, mergeInto } from '../../support/doc-tests.js';
import { headingAnchors, markdownLinks } from '../../support/markdown.js';

const doc = (...lines: string[]): string => lines.join('\n');

describe('Function: isOfflineCommand', () => {
  it.each([
    'sysdig-image-fix scan examples/sam-function.yaml',
    'node dist/cli/index.js transform x.yaml > out.yaml',
    'npm start -s > out.yaml',
    'npm run -s package',
    'npm run package:stackset',
    'cat t.yaml | sysdig-image-fix transform - --format json',
    'sysdig-image-fix transform t.yaml | head -3',
  ])('runs %s', (command) => expect(isOfflineCommand(command)).toBe(true));

  it.each([
    'npm ci',
    'npm test',
    'npm run deploy -- --region eu-west-1',
    'aws cloudformation deploy --template-file x.yaml',
    'npm ci && npm run package:stackset',
    'sysdig-image-fix transform x.yaml | aws s3 cp - s3://b/k',
    'sha256sum -c x.sha256',
  ])('shows only %s', (command) => expect(isOfflineCommand(command)).toBe(false));
});

describe('Function: extractDocTests', () => {
  it('reads a console session: commands with their output, continued lines, commands that print nothing', () => {
    const text = doc(
      '# T',
      '',
      '```console',
      '$ npm ci',
      '$ sysdig-image-fix scan a.yaml \\',
      '    --region eu-west-1',
      'RESOURCE  IMAGE',
      '...',
      '$ sysdig-image-fix transform a.yaml > out.yaml',
      '```',
    );
    const { commands, problems } = extractDocTests('d.md', text);
    expect(problems).toEqual([]);
    expect(commands).toEqual([
      { file: 'd.md', line: 4, command: 'npm ci', offline: false, exit: 0 },
      { file: 'd.md', line: 5, command: 'sysdig-image-fix scan a.yaml --region eu-west-1', offline: true, expected: ['RESOURCE  IMAGE', '...'], exit: 0 },
      { file: 'd.md', line: 9, command: 'sysdig-image-fix transform a.yaml > out.yaml', offline: true, expected: [], exit: 0 },
    ]);
  });

  it('reads a script block in a list item (indented fence), without comments, and leaves plain blocks alone', () => {
    const text = doc('1. Step', '', '   ```sh', '   npm ci   # first', '   sysdig-image-fix --version', '   ```', '', '```', 'sysdig-image-fix transform FILE', '```');
    expect(extractDocTests('d.md', text).commands).toEqual([
      { file: 'd.md', line: 4, command: 'npm ci', offline: false, exit: 0 },
      { file: 'd.md', line: 5, command: 'sysdig-image-fix --version', offline: true, exit: 0 },
    ]);
  });

  it('reads the markers: files (with the yaml above), exit status and skip for the next block only', () => {
    const text = doc(
      '```yaml',
      'Transform: SysdigImageFix',
      '```',
      '<!-- doc-test: file t.yaml from ../shared/x.yaml with the yaml above -->',
      '<!-- doc-test: file u.yaml from examples/u.yaml -->',
      '<!-- doc-test: exit 2 -->',
      '```sh',
      'sysdig-image-fix scan nothing.yaml',
      '```',
      '<!-- doc-test: skip needs AWS -->',
      '```console',
      '$ sysdig-image-fix scan t.yaml',
      'anything',
      '```',
      '```sh',
      'sysdig-image-fix scan t.yaml',
      '```',
    );
    const tests = extractDocTests('d.md', text);
    expect(tests.fixtures).toEqual([
      { file: 'd.md', line: 4, name: 't.yaml', from: '../shared/x.yaml', merge: { text: 'Transform: SysdigImageFix', line: 2 } },
      { file: 'd.md', line: 5, name: 'u.yaml', from: 'examples/u.yaml' },
    ]);
    expect(tests.commands.map((c) => [c.line, c.exit])).toEqual([
      [8, 2],
      [16, 0],
    ]);
    expect(tests.skipped).toEqual([{ file: 'd.md', line: 11, reason: 'needs AWS' }]);
  });

  it('reports what it cannot check: output claimed for a command it does not run, output before a command, unknown markers', () => {
    const text = doc('```console', 'stray', '$ aws s3 ls', 'bucket', '```', '<!-- doc-test: frobnicate -->');
    expect(extractDocTests('d.md', text).problems).toEqual([
      'd.md:2: a console block shows output before its first "$ " command',
      'd.md:3: the output shown for "$ aws s3 ls" cannot be checked offline (show it in prose, or mark the block <!-- doc-test: skip REASON -->)',
      'd.md:6: unknown doc-test marker "frobnicate"',
    ]);
  });
});

describe('Function: matchSample', () => {
  it('matches line by line, trailing white space and trailing empty lines aside', () => {
    expect(matchSample(['a', 'b'], ['a  ', 'b', '', ''])).toBe(-1);
    expect(matchSample(['a', 'b'], ['a', 'c'])).toBe(1);
    expect(matchSample(['a'], ['a', 'extra'])).toBe(0);
  });

  it('takes a line of only ... for any number of lines, and ... in a line for any text', () => {
    expect(matchSample(['...', 'end'], ['x', 'y', 'end'])).toBe(-1);
    expect(matchSample(['...', 'end'], ['end'])).toBe(-1);
    expect(matchSample(['size: ... bytes'], ['size: 241330 bytes'])).toBe(-1);
    expect(matchSample(['size: ... bytes'], ['size: 241330 KB'])).toBe(0);
    expect(matchSample(['a', '  ...', 'z'], ['a', 'z'])).toBe(-1);
    // Other regular-expression characters are literal.
    expect(matchSample(['[0].Image (x)'], ['[0].Image (x)'])).toBe(-1);
    expect(matchSample(['a.c'], ['abc'])).toBe(0);
  });
});

describe('Function: mergeInto', () => {
  it('adds keys to nested mappings and replaces other values, as "add this to the template" means', () => {
    expect(mergeInto({ Metadata: { A: 1 }, Resources: { R: {} } }, { Transform: 'X', Metadata: { B: { C: [1] } } })).toEqual({
      Metadata: { A: 1, B: { C: [1] } },
      Resources: { R: {} },
      Transform: 'X',
    });
  });
});

describe('Functions: markdownLinks, headingAnchors', () => {
  it('finds inline and reference links outside code, with their lines', () => {
    const text = doc('See [a](docs/a.md#x) and `[not](code.md)`.', '```', '[no](fence.md)', '```', '[ref]: ../b.md');
    expect(markdownLinks(text)).toEqual([
      { line: 1, target: 'docs/a.md#x' },
      { line: 5, target: '../b.md' },
    ]);
  });

  it('names headings as GitHub does: code kept, punctuation dropped, repeats numbered', () => {
    expect([...headingAnchors(doc('## Macro stack parameters (`template.yaml`)', '## Organisation-wide (StackSets)', '## Notes', '## Notes'))]).toEqual([
      'macro-stack-parameters-templateyaml',
      'organisation-wide-stacksets',
      'notes',
      'notes-1',
    ]);
  });
});
