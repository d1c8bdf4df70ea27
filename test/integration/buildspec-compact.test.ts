// The deployed buildspec is the compact form of src/mirror/buildspec.yaml (scripts/buildspec-compact.ts): it must fit
// CodeBuild's limit for an inline buildspec, read as the same YAML, and be read by bash as the source is. The proof is
// bash's own: `declare -f` prints the code it parsed, without comments or layout. Also checked here: that the proof
// fails when the compact text means something else, on the real buildspec and on generated scripts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compactBash } from '../../scripts/bash-compact.js';
import {
  BuildSpecCompactionError,
  COMPACT_HEADER,
  compactBuildSpec,
  compactionProblems,
  INLINE_BUILDSPEC_MAX_LENGTH,
  inlineBuildSpecLength,
  provedAlike,
  readingDifference,
  SCRIPT_HEREDOCS,
} from '../../scripts/buildspec-compact.js';
import { BUILDSPEC_PATH, embeddedBuildSpec, parseTemplate, TEMPLATE_PATH } from '../../scripts/package-stackset.js';
import { BUILDSPEC_ENV, buildspecUnderTest } from '../support/buildspec-under-test.js';

const SOURCE = readFileSync(BUILDSPEC_PATH, 'utf8');
const DEPLOYED = embeddedBuildSpec(parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8')));

describe('the deployed buildspec (template.yaml MirrorBuildProject.Source.BuildSpec)', () => {
  it("fits CodeBuild's limit for an inline buildspec", () => {
    // CodeBuild answers CreateProject/UpdateProject with InvalidInputException "Max buildspec length is 25600" for a
    // longer inline buildspec (aws/aws-cdk#30326, through CloudFormation; aws/aws-cdk#14974: "An inline buildspec has
    // a size limit of 25600 characters"). Neither the API reference nor the CloudFormation schema states it. Counted
    // here in UTF-8 bytes, never fewer than the characters CodeBuild may count.
    expect(INLINE_BUILDSPEC_MAX_LENGTH).toBe(25_600);
    expect(inlineBuildSpecLength(DEPLOYED)).toBeLessThanOrEqual(INLINE_BUILDSPEC_MAX_LENGTH);
  });

  it('is the compact form of src/mirror/buildspec.yaml, which the suites run (sync-buildspec --check agrees)', () => {
    expect(DEPLOYED === compactBuildSpec(SOURCE), 'template.yaml: run npx tsx scripts/sync-buildspec.ts').toBe(true);
    expect(buildspecUnderTest() === DEPLOYED).toBe(true);
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sync-buildspec.ts', '--check'], { cwd: join(TEMPLATE_PATH, '..'), encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe(
      `template.yaml already carries the compact form of src/mirror/buildspec.yaml (${inlineBuildSpecLength(DEPLOYED)} of CodeBuild's 25600 characters)\n`,
    );
    expect(check.status).toBe(0);
  });

  it('reads as the source with each command compacted, and bash reads every command and the steps script alike', () => {
    expect(compactionProblems(SOURCE, DEPLOYED)).toEqual([]);
    const commands = Object.values(parse(DEPLOYED).phases as Record<string, Record<string, string[]>>).flatMap((phase) => [
      ...(phase.commands ?? []),
      ...(phase.finally ?? []),
    ]);
    expect(commands).toHaveLength(10);
    for (const command of commands) expect(spawnSync('bash', ['-n'], { input: command, encoding: 'utf8' }).status, command.slice(0, 60)).toBe(0);
  });

  it('has no comment or blank line but its header, and is much smaller than its source', () => {
    const lines = DEPLOYED.split('\n');
    expect(lines.filter((line) => /^\s*#/.test(line))).toEqual([`#${COMPACT_HEADER}`]);
    expect(lines.slice(2, -1).filter((line) => line.trim() === '')).toEqual([]);
    expect(inlineBuildSpecLength(DEPLOYED)).toBeLessThan(inlineBuildSpecLength(SOURCE) * 0.7);
  });

  it('is its own compact form (compacting again changes nothing)', () => {
    expect(compactBuildSpec(DEPLOYED) === DEPLOYED).toBe(true);
  });
});

describe('the proof fails when the compact form means something else', () => {
  it('on the real buildspec: a changed string, a lost command, a changed key', () => {
    const changedString = DEPLOYED.replace("printf 'ERROR: %s\\n'", "printf 'ERROR:  %s\\n'");
    expect(changedString).not.toBe(DEPLOYED);
    expect(compactionProblems(SOURCE, changedString)).toEqual(["phases.install.commands[0]: not the compact form of the source's command"]);
    const lostCommand = DEPLOYED.replace('- . "$MIRROR_STEPS"; check_source\n', '');
    expect(compactionProblems(SOURCE, lostCommand)).toContain('phases.build.commands[3]: missing from the compact form');
    expect(compactionProblems(SOURCE, DEPLOYED.replace('shell: bash', 'shell: sh'))).toHaveLength(2);
  });

  it('bash tells a layout change from a change of meaning', () => {
    expect(readingDifference('echo a; echo b  # c\n', 'echo a\necho b\n')).toBeUndefined();
    expect(readingDifference("f() {\n  echo '#'\n}\n", "f() {\necho '#'\n}\n")).toBeUndefined();
    expect(readingDifference("echo '# a'\n", "echo ''\n")).toMatch(/^line 4 of declare -f: " {4}echo /);
    // Dropping the comment line after a continuation would join two commands into one.
    expect(readingDifference('echo a \\\n  # c\necho b\n', 'echo a \\\necho b\n')).toBeDefined();
    // Stripping the blanks of a continued line would join two words into one.
    expect(readingDifference('echo a\\\n  b\n', 'echo a\\\nb\n')).toBeDefined();
    // A here-document's body is data.
    expect(readingDifference("cat <<'E'\n  # x\nE\n", "cat <<'E'\nE\n")).toBeDefined();
  });

  it('refuses a buildspec whose command the compactor cannot follow, naming the command', () => {
    const broken = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "unclosed\n';
    expect(() => compactBuildSpec(broken)).toThrow(BuildSpecCompactionError);
    expect(() => compactBuildSpec(broken)).toThrow('phases.build.commands[0]: the script ends inside a "..." string');
  });
});

describe('Function: compactBuildSpec', () => {
  it('keeps keys, values and block styles; removes YAML comments and blank lines; compacts commands and only commands', () => {
    const source = [
      '# a buildspec',
      'version: 0.2',
      '',
      'env:',
      '  variables:',
      "    GREETING: 'hello # not a comment'",
      'phases:',
      '  build:',
      '    commands:',
      '      # a YAML comment',
      '      - echo "$GREETING"  # for YAML a comment, after the plain scalar',
      '      - |',
      '        # bash comment',
      '        if true; then',
      "          echo '#' # trailing",
      '        fi',
      'cache:',
      '  paths:',
      "    - '/root/#cache/**/*'",
      '',
    ].join('\n');
    expect(compactBuildSpec(source)).toBe(
      [
        `#${COMPACT_HEADER}`,
        '',
        'version: 0.2',
        'env:',
        '  variables:',
        "    GREETING: 'hello # not a comment'",
        'phases:',
        '  build:',
        '    commands:',
        '    - echo "$GREETING"',
        '    - |',
        '      if true; then',
        "      echo '#'",
        '      fi',
        'cache:',
        '  paths:',
        "  - '/root/#cache/**/*'",
        '',
      ].join('\n'),
    );
  });
});

describe('Function: compactBash, read by bash (generated scripts)', () => {
  /** Words where `#`, quotes and expansions meet: each is one valid bash word. */
  const word = fc.constantFrom(
    'a',
    'a#b',
    "'x # y'",
    '"x # $HOME"',
    '"${#HOME}"',
    '${HOME#*/}',
    '$#',
    '$((16#ff))',
    "$'a\\'#'",
    '"$(echo \'#\')"',
    'http://h/p#f',
    '\\#',
    '"${X:-#}"',
    '${X:-{a\\}}',
    '"$(( $# + 1 ))"',
    '"`echo " # "`"',
    "'multi\n  # line'",
  );
  const indent = fc.constantFrom('', '  ', '\t', '    ');
  const trailing = fc.constantFrom('', '  # trailing', ' #', '\t# tab');
  /** Words apart by a blank, or across a continued line (a blank before the backslash, or blanks after it). */
  const command = fc.tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.constantFrom(' ', ' \\\n    ', '\\\n  ')).map(([words, gap]) => `echo ${words.join(gap)}`);
  const line = fc.oneof(
    fc.tuple(indent, command, trailing).map(([i, c, t]) => `${i}${c}${t}\n`),
    indent.map((i) => `${i}# comment\n`),
    indent.map((i) => `${i}echo a \\\n${i}# after a continued line\n`),
    fc.tuple(indent, trailing).map(([i, t]) => `${i}read -r x <<< "#$HOME"${t}\n`),
    indent.map((i) => `${i}\n`),
    fc.tuple(indent, trailing).map(([i, t]) => `${i}cat <<'EOF'${t}\n  # data\n\nEOF\n`),
    fc.tuple(indent, trailing).map(([i, t]) => `${i}cat <<-EOF${t}\n\t# $HOME\n\tEOF\n`),
  );
  const block = fc.array(line, { maxLength: 5 }).map((lines) => lines.join(''));
  const script = fc
    .array(
      fc.oneof(
        line,
        fc.tuple(indent, block).map(([i, body]) => `${i}f() {  # function\n${body}${i}  :\n${i}}\n`),
        fc.tuple(indent, block).map(([i, body]) => `${i}if true; then\n${body}${i}  :\n${i}fi  # end\n`),
        block.map((body) => `cat > steps <<'STEPS'\n${body}STEPS\n`),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(''));

  it('bash reads the compact text as it reads the script (property)', () => {
    fc.assert(
      fc.property(script, (text) => {
        const made = compactBash(text, { scriptHeredocs: SCRIPT_HEREDOCS });
        expect(provedAlike('generated', text, made)).toEqual([]);
        expect(compactBash(made.text, { scriptHeredocs: SCRIPT_HEREDOCS }).text).toBe(made.text);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the buildspec the suites run', () => {
  let scratch: string | undefined;
  afterEach(() => {
    delete process.env[BUILDSPEC_ENV];
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('is the compact form of the changed source that SYSDIG_IMAGE_FIX_BUILDSPEC names (a mutant), with the change', () => {
    scratch = mkdtempSync(join(tmpdir(), 'sif-compact-test-'));
    const mutant = join(scratch, 'buildspec.yaml');
    const find = '[ "$got" = "$PLATFORM" ] ||';
    expect(SOURCE.split(find)).toHaveLength(2);
    writeFileSync(mutant, SOURCE.replace(find, 'true ||'));
    process.env[BUILDSPEC_ENV] = mutant;
    const text = buildspecUnderTest();
    expect(text).toMatch(/\n +true \|\|\n +fail "\$2 is a \$got image/);
    expect(text).not.toContain(find);
    expect(inlineBuildSpecLength(text)).toBeLessThan(inlineBuildSpecLength(DEPLOYED));
  });
});
