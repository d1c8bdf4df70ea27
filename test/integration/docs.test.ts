// The docs a newcomer follows are run, not trusted: every offline command in README.md, CHANGELOG.md, docs/*.md and
// the examples' header comments runs in a fresh copy of the checkout (as a clone has it, built), with
// `sysdig-image-fix` on PATH as `npm install -g` puts it there, and every sample of what it prints is compared with
// what it prints now. The conventions are in test/support/doc-tests.ts and docs/development.md. A failure names the
// doc file and line, and shows the difference. Also here: links between the docs resolve, and versions in them are
// the package's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../src/template/types.js';
import { renderTemplateYaml } from '../../scripts/package-stackset.js';
import { CHECKOUT_ROOT, copyCheckout, type CheckoutCopy } from '../support/checkout-copy.js';
import { type DocCommand, type DocFixture, extractDocTests, matchSample, mergeInto } from '../support/doc-tests.js';
import { headingAnchors, markdownLinks } from '../support/markdown.js';

const DOC_FILES = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(CHECKOUT_ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];
const read = (file: string): string => readFileSync(join(CHECKOUT_ROOT, file), 'utf8');
const DOCS = DOC_FILES.map((file) => ({ file, ...extractDocTests(file, read(file)) }));
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;

/** Commands in the examples' header comments (`#   sysdig-image-fix ...`): the examples ship in the npm package. */
const EXAMPLE_COMMANDS: DocCommand[] = readdirSync(join(CHECKOUT_ROOT, 'examples')).flatMap((name) =>
  read(`examples/${name}`)
    .split('\n')
    .flatMap((line, index) => {
      const command = /^#\s+(sysdig-image-fix\s.*)$/.exec(line)?.[1]?.trim();
      return command === undefined ? [] : [{ file: `examples/${name}`, line: index + 1, command, offline: true, exit: 0 }];
    }),
);

const RUN = [...DOCS.flatMap((doc) => doc.commands.filter((command) => command.offline)), ...EXAMPLE_COMMANDS];
const SAMPLES = RUN.filter((command) => command.expected !== undefined);

let copy: CheckoutCopy;
let bin: string;
/** Everything the commands printed, for the checks of ids the docs name outside samples. */
const printed: string[] = [];

/** Runs a command as a reader's shell would, in the copy: standard output and error together, as a terminal shows them. */
function runAsReader(command: string): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
  const result = spawnSync('bash', ['-c', `exec 2>&1; set -o pipefail; ${command}`], { cwd: copy.dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: result.stdout };
}

/** The text of a file a doc-test marker describes. */
function fixtureText(fixture: DocFixture): string {
  const source = readFileSync(join(CHECKOUT_ROOT, fixture.from), 'utf8');
  return fixture.merge === undefined ? source : renderTemplateYaml(mergeInto(parseCfnYaml(source), parseCfnYaml(fixture.merge.text)) as JsonObject);
}

/** The markers of `file` above `line`, in order. */
const fixturesAbove = (file: string, line: number): DocFixture[] => DOCS.find((doc) => doc.file === file)?.fixtures.filter((f) => f.line < line) ?? [];

/** Makes the files the doc's markers above `line` describe, in order (a later marker for the same name wins). */
function makeFixtures(file: string, line: number): void {
  for (const fixture of fixturesAbove(file, line)) {
    if (existsSync(join(CHECKOUT_ROOT, fixture.name))) throw new Error(`${file}:${fixture.line}: ${fixture.name} is a file of the checkout; name the doc's file otherwise`);
    writeFileSync(join(copy.dir, fixture.name), fixtureText(fixture));
  }
}

beforeAll(() => {
  copy = copyCheckout('sif-docs-');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: copy.dir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed in the copy:\n${built.stderr}`);
  bin = join(copy.dir, '.doc-test-bin');
  mkdirSync(bin);
  // What `npm install -g` puts on PATH: a link to the package's bin, dist/cli/index.js (a node script).
  symlinkSync(join(copy.dir, 'dist', 'cli', 'index.js'), join(bin, 'sysdig-image-fix'));
});

afterAll(() => copy?.remove());

describe('the docs as written', () => {
  it('have well-formed samples and markers', () => {
    expect(DOCS.flatMap((doc) => doc.problems)).toEqual([]);
  });

  it(`checks ${RUN.length} commands, ${SAMPLES.length} of them with their sample output`, () => {
    const skipped = DOCS.flatMap((doc) => doc.skipped.map((skip) => `${skip.file}:${skip.line} (${skip.reason})`));
    console.info(
      `docs: ${RUN.length} offline commands run, ${SAMPLES.length} sample outputs compared, ${skipped.length} blocks skipped${skipped.length ? `: ${skipped.join('; ')}` : ''}`,
    );
    // Each kind the docs rely on is present, so a broken extraction cannot pass by checking nothing.
    expect(SAMPLES.some((c) => c.file === 'README.md' && c.command.startsWith('sysdig-image-fix scan'))).toBe(true);
    expect(SAMPLES.some((c) => c.file === 'README.md' && c.command.startsWith('npm start'))).toBe(true);
    expect(SAMPLES.some((c) => /^npm run (?:-s )?package/.test(c.command))).toBe(true);
    expect(RUN.some((c) => c.file.startsWith('examples/'))).toBe(true);
  });
});

describe.each([...new Set(RUN.map((command) => command.file))])('%s', (file) => {
  it.each(RUN.filter((command) => command.file === file).map((command) => [`line ${command.line}: $ ${command.command}`, command] as const))('%s', (_name, command) => {
    makeFixtures(command.file, command.line);
    const { status, output } = runAsReader(command.command);
    printed.push(output);
    const where = `${command.file}:${command.line}`;
    expect(status, `${where}: "$ ${command.command}" exited ${status}, the docs expect ${command.exit}. It printed:\n${output}`).toBe(command.exit);
    // What a command writes to a file with `>` is a template the CLI reads back (npm's own banner would break it).
    for (const [, target] of command.command.matchAll(/(?<![0-9&])>\s*(\S+\.(?:ya?ml|json))/g)) {
      const written = parseCfnYaml(readFileSync(join(copy.dir, target!), 'utf8')) as JsonObject;
      expect(Object.keys(written.Resources as JsonObject).length, `${where}: ${target} holds a template`).toBeGreaterThan(0);
    }
    if (command.expected === undefined) return;
    const actual = output.split('\n');
    const at = matchSample(command.expected, actual);
    if (at >= 0) {
      expect(
        output.trimEnd(),
        `${command.file}:${command.line + 1 + at}: the sample shows "${command.expected[at]}", which is not what "$ ${command.command}" printed ("..." matches anything); the output is "+", the sample "-"`,
      ).toBe(command.expected.join('\n'));
    }
  });
});

describe('names the docs take from the CLI', () => {
  // Mirror logical ids are hashes: one the docs name (in a sample, a table or prose) is right only if the CLI prints
  // it for a command the docs show. (A stale ImageMirrorbc361fd4 sat in an unlabelled sample block.)
  it('every ImageMirror<8 hex> id in the docs is one a command above printed', () => {
    const seen = new Set(printed.flatMap((output) => output.match(/ImageMirror[0-9a-f]{8}/g) ?? []));
    const unknown = DOC_FILES.flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((text, index) => (text.match(/ImageMirror[0-9a-f]{8}/g) ?? []).filter((id) => !seen.has(id)).map((id) => `${file}:${index + 1}: ${id}`)),
    );
    expect(seen.size).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });
});

describe('deploy commands the docs show (not run: they need AWS)', () => {
  const deploys = DOCS.flatMap((doc) => doc.commands.filter((c) => /^(?:aws cloudformation deploy|sam deploy)\s/.test(c.command)));

  it('give a value to every parameter without a Default of a template the docs make', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const { file, line, command } of deploys) {
      const templateFile = /--template-file\s+(\S+)/.exec(command)?.[1];
      const fixture = fixturesAbove(file, line).findLast((f) => f.name === templateFile);
      const path = fixture === undefined && templateFile !== undefined && existsSync(join(CHECKOUT_ROOT, templateFile)) ? join(CHECKOUT_ROOT, templateFile) : undefined;
      if (fixture === undefined && path === undefined) continue;
      checked += 1;
      const template = parseCfnYaml(fixture !== undefined ? fixtureText(fixture) : readFileSync(path!, 'utf8')) as JsonObject;
      const overrides =
        /--parameter-overrides\s+((?:[A-Za-z0-9]+=\S*\s*)+)/
          .exec(command)?.[1]
          ?.trim()
          .split(/\s+/)
          .map((pair) => pair.split('=')[0]) ?? [];
      for (const [name, parameter] of Object.entries((template.Parameters ?? {}) as Record<string, JsonObject>)) {
        if (parameter.Default === undefined && !overrides.includes(name)) missing.push(`${file}:${line}: ${templateFile} needs a value for ${name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });
});

describe('links and versions in the docs', () => {
  it('every relative link names a file of the checkout and, with #, a heading in it', () => {
    const broken: string[] = [];
    for (const file of DOC_FILES) {
      for (const { line, target } of markdownLinks(read(file))) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : join(file, '..', path);
        if (!existsSync(join(CHECKOUT_ROOT, resolved))) broken.push(`${file}:${line}: ${target} (no file ${resolved})`);
        else if (anchor !== undefined && !headingAnchors(read(resolved)).has(anchor)) broken.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it(`names the package version ${VERSION} wherever it names one (CHANGELOG.md aside)`, () => {
    const wrong = DOC_FILES.filter((file) => file !== 'CHANGELOG.md').flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((text, index) => [...text.matchAll(/sysdig-image-fix[-@](\d+\.\d+\.\d+)/g)].filter((m) => m[1] !== VERSION).map((m) => `${file}:${index + 1}: ${m[0]}`)),
    );
    expect(wrong).toEqual([]);
  });

  it('states no size of its own artefacts in prose ("about 190 KB" drifted): the scripts print them', () => {
    const sizes = DOC_FILES.flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((text, index) => (/\b(?:about|roughly|around|~)\s*[\d,.]+\s*(?:[kKM]i?B|bytes)\b/.test(text) ? [`${file}:${index + 1}: ${text.trim()}`] : [])),
    );
    expect(sizes).toEqual([]);
  });
});
