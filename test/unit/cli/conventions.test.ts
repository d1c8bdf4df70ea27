// CLI conventions users expect: -o FILE (never the input, whole or nothing), --quiet, scan --format table|json,
// help [command], several files for scan, one column order, --parameter-overrides, region names with a suggestion.
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/template/types.js';
import { lambdaImageFunction, templateWith } from '../macro/fixtures.js';
import { runCli } from './run-cli.js';

const FLAGS = ['--region', 'eu-west-1', '--account', '123456789012', '--mirror-function-arn', 'arn:aws:lambda:eu-west-1:123456789012:function:mirror'];
const TEMPLATE = `Transform: SysdigImageFix
Parameters:
  Image: {Type: String, Default: quay.io/a/b:1}
  Tag: {Type: String, Default: "1"}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Code:
        ImageUri: !Ref Image  # the image
`;
const BAD = JSON.stringify(templateWith({ Bad: lambdaImageFunction('quay.io/A/B') }));

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sif-cli-conventions-'));
  await writeFile(path('template.yaml'), TEMPLATE);
  await writeFile(path('bad.json'), BAD);
  await writeFile(path('sam.json'), JSON.stringify(templateWith({ Kept: lambdaImageFunction('123456789012.dkr.ecr.eu-west-1.amazonaws.com/a:1') })));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('-o FILE', () => {
  it('writes the template to FILE, nothing on stdout, the summary on stderr', async () => {
    const run = await runCli(['transform', path('template.yaml'), ...FLAGS, '-o', path('out.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('SysdigImageFix: 1 image site (1 mirror); 1 ImageMirror resource injected');
    const written = await readFile(path('out.yaml'), 'utf8');
    expect(written).toMatch(/ImageUri: !GetAtt ImageMirror[0-9a-f]{8}\.ImageUri {2}# the image\n/);
    expect((await runCli(['transform', path('template.yaml'), ...FLAGS, '--output', '-'])).stdout).toBe(written);
  });

  it.each([
    ['the same path', () => path('template.yaml')],
    ['another spelling of it', () => join(dir, '.', 'sub', '..', 'template.yaml')],
    ['a symbolic link to it', () => path('link.yaml')],
    ['a hard link to it', () => path('hard.yaml')],
  ])('refuses %s as the input, leaving the template as it was', async (_case, output) => {
    await mkdir(path('sub'), { recursive: true });
    await symlink(path('template.yaml'), path('link.yaml')).catch(() => undefined);
    await link(path('template.yaml'), path('hard.yaml')).catch(() => undefined);
    const run = await runCli(['transform', path('template.yaml'), ...FLAGS, '-o', output()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: -o .* is the input template .*template\.yaml: write the output to another file/);
    expect(await readFile(path('template.yaml'), 'utf8')).toBe(TEMPLATE);
  });

  it('refuses an input among several scanned files', async () => {
    const run = await runCli(['scan', path('sam.json'), path('template.yaml'), ...FLAGS, '-o', path('template.yaml')]);
    expect(run.code).toBe(2);
    expect(await readFile(path('template.yaml'), 'utf8')).toBe(TEMPLATE);
  });

  it('leaves FILE as it was when the transform fails, and no other file behind', async () => {
    await writeFile(path('kept.json'), 'previous\n');
    const before = await readdir(dir);
    const run = await runCli(['transform', path('bad.json'), ...FLAGS, '-o', path('kept.json')]);
    expect(run.code).toBe(1);
    expect(await readFile(path('kept.json'), 'utf8')).toBe('previous\n');
    expect(await readdir(dir)).toEqual(before);
  });

  it('a FILE that cannot be written: exit 2 naming it, and no partial or temporary file', async () => {
    // A directory in FILE's place: the final rename fails after the whole text was written to the temporary file.
    await mkdir(path('taken/out.yaml'), { recursive: true });
    const run = await runCli(['transform', path('template.yaml'), ...FLAGS, '-o', path('taken/out.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: cannot write .*taken\/out\.yaml: .*; nothing was written$/m);
    expect(await readdir(path('taken'))).toEqual(['out.yaml']);
    expect(await readdir(path('taken/out.yaml'))).toEqual([]);
    const missing = await runCli(['transform', path('template.yaml'), ...FLAGS, '-o', path('no/such/dir/out.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot write .*no\/such\/dir\/out\.yaml: /m);
  });

  it('keeps the permissions of a FILE it replaces', async () => {
    await writeFile(path('mode.yaml'), 'old\n', { mode: 0o600 });
    await chmod(path('mode.yaml'), 0o600);
    await runCli(['transform', path('template.yaml'), ...FLAGS, '-o', path('mode.yaml')]);
    expect((await stat(path('mode.yaml'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path('mode.yaml'), 'utf8')).toContain('Custom::ImageMirror');
  });
});

describe('--quiet', () => {
  it('prints no note: lines; the summary and warnings stay', async () => {
    const loud = await runCli(['transform', '-'], { stdin: TEMPLATE.replace('Transform: SysdigImageFix\n', '') });
    expect(loud.stderr).toMatch(/^note: /m);
    for (const flag of ['--quiet', '-q']) {
      const quiet = await runCli(['transform', '-', flag, '--region', 'eu-wst-1'], { stdin: TEMPLATE.replace('Transform: SysdigImageFix\n', '') });
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toMatch(/^note: /m);
      expect(quiet.stderr).toMatch(/^warning: region eu-wst-1/m);
      expect(quiet.stderr).toMatch(/^SysdigImageFix: 1 image site/m);
    }
  });
});

describe('--format', () => {
  it('scan: table (the default) or json', async () => {
    const table = await runCli(['scan', path('template.yaml'), ...FLAGS]);
    expect((await runCli(['scan', path('template.yaml'), ...FLAGS, '--format', 'table'])).stdout).toBe(table.stdout);
    expect(table.stdout.split('\n')[0]).toMatch(/^RESOURCE {2}VERDICT {2}IMAGE +ARCHITECTURE {2}MIRROR$/);
    const json = JSON.parse((await runCli(['scan', path('template.yaml'), ...FLAGS, '--format', 'json'])).stdout) as JsonObject[];
    expect(json.map((site) => site.logicalId)).toEqual(['Fn']);
  });

  it.each([
    [['scan', '-', '--format', 'yaml'], 'scan --format "yaml": use table or json (yaml is for transform)'],
    [['transform', '-', '--format', 'table'], 'transform --format "table": use yaml or json (table is for scan)'],
    [['transform', '-', '--format', 'xml'], 'transform --format "xml": use yaml or json'],
  ])('%j is refused, saying which formats the command has', async (argv, line) => {
    const run = await runCli(argv, { stdin: TEMPLATE });
    expect(run).toEqual({ code: 2, stdout: '', stderr: `error: ${line}\nRun "sysdig-image-fix --help" for usage.\n` });
  });
});

describe('one column order', () => {
  it('scan prints the columns of the transform summary, in its order', async () => {
    const scan = await runCli(['scan', path('template.yaml'), ...FLAGS]);
    const transform = await runCli(['transform', path('template.yaml'), ...FLAGS]);
    const summary = transform.stderr.split('\n').filter((line) => line.startsWith('  '));
    expect(scan.stdout.trimEnd().split('\n')).toEqual(summary.map((line) => line.slice(2)));
  });
});

describe('help', () => {
  it.each(['transform', 'scan'])('help %s and `%s --help` print that command, its options and exit codes', async (command) => {
    const run = await runCli(['help', command]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: sysdig-image-fix ${command} FILE`));
    for (const text of ['--parameter-overrides', '-o, --output FILE', '-q, --quiet', 'Exit codes', 'Examples']) expect(run.stdout).toContain(text);
    expect(await runCli([command, '--help'])).toEqual(run);
  });

  it('help with an unknown command suggests the one meant', async () => {
    const run = await runCli(['help', 'tranform']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: unknown command "tranform"; did you mean "transform"?');
  });
});

describe('scan of several files', () => {
  it('one table with the file first; JSON as one {file, sites} per template', async () => {
    const run = await runCli(['scan', path('template.yaml'), path('sam.json'), ...FLAGS]);
    expect(run.code).toBe(0);
    const rows = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    expect(rows.map((row) => row.slice(0, 3))).toEqual([
      ['FILE', 'RESOURCE', 'VERDICT'],
      [path('template.yaml'), 'Fn', 'mirror'],
      [path('sam.json'), 'Kept', 'keep'],
    ]);
    const json = JSON.parse((await runCli(['scan', path('template.yaml'), path('sam.json'), ...FLAGS, '--format', 'json'])).stdout) as {
      file: string;
      sites: JsonObject[];
    }[];
    expect(json.map(({ file, sites }) => [file, sites.map((site) => site.logicalId)])).toEqual([
      [path('template.yaml'), ['Fn']],
      [path('sam.json'), ['Kept']],
    ]);
  });

  it('reports a template that fails or cannot be read, still lists the others, and exits with the worst code', async () => {
    const failed = await runCli(['scan', path('bad.json'), path('sam.json'), ...FLAGS]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`error: ${path('bad.json')}: SysdigImageFix transform failed with 1 problem:\n`);
    expect(failed.stdout).toContain(path('sam.json'));
    expect(failed.stdout).not.toContain('bad.json');
    const unreadable = await runCli(['scan', path('missing.yaml'), path('bad.json'), path('sam.json'), ...FLAGS]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/^error: cannot read .*missing\.yaml: /m);
    expect(unreadable.stdout).toContain(path('sam.json'));
    // -o FILE is written by a run that succeeds only.
    await writeFile(path('scan.txt'), 'previous\n');
    const toFile = await runCli(['scan', path('bad.json'), path('sam.json'), ...FLAGS, '-o', path('scan.txt')]);
    expect(toFile.code).toBe(1);
    expect(toFile.stderr).toContain(`error: ${path('scan.txt')} left as it was: not every template could be scanned\n`);
    expect(await readFile(path('scan.txt'), 'utf8')).toBe('previous\n');
  });

  it('transform takes one template, and says that scan takes several', async () => {
    const run = await runCli(['transform', path('template.yaml'), path('sam.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`error: transform: one template at a time; unexpected "${path('sam.json')}" (scan takes several)`);
  });
});

describe('--parameter-overrides', () => {
  const image = async (argv: string[]) => {
    const run = await runCli(['scan', '-', ...FLAGS, '--format', 'json', ...argv], { stdin: TEMPLATE });
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as JsonObject[])[0]!.image;
  };

  it.each([
    ['K=V words, as aws cloudformation deploy', ['--parameter-overrides', 'Image=nginx:1', 'Tag=2']],
    ['one word with several pairs, as sam deploy', ['--parameter-overrides', 'Tag=2 Image=nginx:1']],
    ['ParameterKey=K,ParameterValue=V', ['--parameter-overrides', 'ParameterKey=Image,ParameterValue=nginx:1']],
    ['--parameter-overrides=K=V', ['--parameter-overrides=Image=nginx:1']],
    ['ended by the next option', ['--parameter-overrides', 'Image=nginx:1', '--quiet']],
    ['a later --parameter wins', ['--parameter-overrides', 'Image=quay.io/x/y:1', '--parameter', 'Image=nginx:1']],
    ['a later override wins', ['--parameter', 'Image=quay.io/x/y:1', '--parameter-overrides', 'Image=nginx:1']],
    ['a quoted value', ['--parameter-overrides', 'Image="nginx:1"']],
  ])('%s', async (_case, argv) => {
    expect(await image(argv)).toBe('docker.io/library/nginx:1');
  });

  it('takes every word up to the next option, so FILE goes before it; a word that is not K=V says so', async () => {
    const run = await runCli(['scan', ...FLAGS, '--parameter-overrides', 'Image=nginx:1', path('template.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      `error: --parameter-overrides "${path('template.yaml')}" is not NAME=VALUE (or ParameterKey=NAME,ParameterValue=VALUE): it takes every word up to ` +
        'the next option, so give FILE before it, or end its list with --',
    );
    const ended = await runCli(['scan', ...FLAGS, '--parameter-overrides', 'Image=nginx:1', '--', path('template.yaml')]);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('docker.io/library/nginx:1');
    expect((await runCli(['scan', '-', '--parameter-overrides'], { stdin: TEMPLATE })).stderr.split('\n')[0]).toBe(
      'error: --parameter-overrides needs at least one NAME=VALUE',
    );
  });

  it('an override for a parameter the template does not declare is refused like --parameter', async () => {
    const run = await runCli(['scan', '-', ...FLAGS, '--parameter-overrides', 'Imag=nginx'], { stdin: TEMPLATE });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"Imag": the template declares no such parameter (it declares: Image, Tag)');
  });
});

describe('region names', () => {
  it('EU-WEST-1 gets "did you mean eu-west-1", from --region and from AWS_REGION', async () => {
    const flag = await runCli(['scan', '-', '--region', 'EU-WEST-1'], { stdin: TEMPLATE });
    expect(flag.code).toBe(2);
    expect(flag.stderr.split('\n')[0]).toBe('error: --region "EU-WEST-1" is not an AWS region name; did you mean eu-west-1?');
    const env = await runCli(['scan', '-'], { stdin: TEMPLATE, env: { AWS_REGION: 'EU-WEST-1' } });
    expect(env.code).toBe(2);
    expect(env.stderr.split('\n')[0]).toBe('error: AWS_REGION "EU-WEST-1" is not an AWS region name; did you mean eu-west-1? (or give --region)');
  });
});
