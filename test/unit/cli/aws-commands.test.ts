// `mirrors` and `prune` from the command line, over an account in memory: flags, help, both output formats, exit codes.
import { describe, expect, it } from 'vitest';
import { runAwsCommand } from '../../../src/cli/aws-commands.js';
import { parseAge, parseOpsArgs } from '../../../src/cli/ops-args.js';
import { shortDigest } from '../../../src/cli/ops-report.js';
import { UsageError } from '../../../src/cli/errors.js';
import type { OpsPort } from '../../../src/ops/types.js';
import { standardWorld } from '../ops/standard-world.js';
import { DAY, deny, digest, fakePort, NOW } from '../ops/world.js';
import { runCli } from './run-cli.js';

async function run(argv: string[], port: OpsPort = fakePort(standardWorld()), env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const created: unknown[] = [];
  const code = await runAwsCommand(
    argv,
    { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env },
    {
      createPort: (options) => {
        created.push(options);
        return port;
      },
      now: () => NOW,
    },
  );
  return { code, stdout, stderr, created };
}

describe('Function: parseOpsArgs', () => {
  it('reads the flags of both commands, with the documented defaults', () => {
    expect(parseOpsArgs(['mirrors', '--region', 'eu-west-1', '--profile', 'ops', '--prefix', 'team', '--format', 'json'], {})).toEqual({
      command: 'mirrors',
      region: 'eu-west-1',
      profile: 'ops',
      prefix: 'team',
      format: 'json',
    });
    expect(parseOpsArgs(['prune'], { AWS_REGION: 'ap-northeast-1' })).toEqual({
      command: 'prune',
      region: 'ap-northeast-1',
      format: 'table',
      olderThan: '30d',
      olderThanMs: 30 * DAY,
      keepLast: 0,
      yes: false,
    });
    expect(parseOpsArgs(['prune', '--region', 'us-east-1', '--older-than', '12h', '--keep-last', '2', '--yes'], {})).toMatchObject({
      olderThanMs: 12 * 3_600_000,
      keepLast: 2,
      yes: true,
    });
  });

  it('refuses what it cannot use, naming the flag and the fix', () => {
    const cases: [string[], RegExp][] = [
      [['mirrors'], /give --region/],
      [['mirrors', '--region', 'moon-1'], /--region "moon-1" is not an AWS region/],
      [['mirrors', '--region', 'us-east-1', '--prefix', 'Bad_Prefix/'], /--prefix "Bad_Prefix\/" must be lower-case/],
      [['mirrors', '--region', 'us-east-1', '--format', 'yaml'], /use table or json/],
      [['mirrors', '--region', 'us-east-1', '--profile', ' '], /--profile is empty/],
      [['mirrors', '--region', 'us-east-1', 'extra'], /takes no file or other argument/],
      [['mirrors', '--region', 'us-east-1', '--yes'], /unknown option --yes; the options are/],
      [['prune', '--region', 'us-east-1', '--older-than', '30'], /--older-than "30": give days or hours/],
      [['prune', '--region', 'us-east-1', '--keep-last', '-1'], /--keep-last/],
      [['prune', '--region', 'us-east-1', '--older-then', '3d'], /did you mean --older-than\?/],
    ];
    for (const [argv, message] of cases) expect(() => parseOpsArgs(argv, {}), argv.join(' ')).toThrow(message);
    expect(() => parseOpsArgs(['mirrors'], {})).toThrow(UsageError);
  });

  it('parseAge takes whole days or hours only', () => {
    expect(parseAge('0d')).toBe(0);
    expect(parseAge('7d')).toBe(7 * DAY);
    for (const text of ['', 'd', '1.5d', '1w', '-1d', '1 d']) expect(parseAge(text)).toBeUndefined();
  });
});

describe('Function: runAwsCommand', () => {
  it('mirrors: a table per repository with users, unused images and their bytes; exit 0 when everything was read', async () => {
    const result = await run(['mirrors', '--region', 'us-east-1', '--prefix', 'sysdig-image-fix']);
    expect(result.code).toBe(0);
    expect(result.created).toEqual([{ region: 'us-east-1' }]);
    expect(result.stdout).toContain('Repositories under sysdig-image-fix/ in us-east-1 (prefix from --prefix)');
    expect(result.stdout).toMatch(/sysdig-image-fix\/quay\.io\/e2e\/app \(source quay\.io\/e2e\/app:1\.0; managed by the mirror function\)/);
    const row = (seed: string, rest: string) => new RegExp(`\\n  ${shortDigest(digest(seed))}\\s+${rest}\\n`);
    expect(result.stdout).toMatch(
      row('child-amd64', '1\\.0\\s+child\\s+1000 B\\s+2026-10-26 12:00Z\\s+used\\s+function api \\(digest\\), stack app/ImageMirror1a2b3c4d \\(digest\\)'),
    );
    expect(result.stdout).toMatch(row('index', `1\\.0-all\\s+index\\s+500 B\\s+2026-10-26 12:00Z\\s+used\\s+lists ${shortDigest(digest('child-amd64'))}, which is used`));
    expect(result.stdout).toMatch(row('old', '0\\.9\\s+image\\s+1000 B\\s+2026-09-06 12:00Z\\s+unused\\s+nothing'));
    expect(result.stdout).toContain(
      `lifecycle: rule 1 ("untagged"): expire untagged images pushed more than 14 days ago could remove ${shortDigest(digest('attestation'))}, in use (listed by index ${shortDigest(digest('index'))})`,
    );
    expect(result.stdout).toContain('sysdig-image-fix/hand-made (NOT created by the mirror function)');
    expect(result.stdout).toContain('Used by nothing: 4 images, 3.9 KiB');
    expect(result.stderr).toBe('');
  });

  it('mirrors: says what it could not read on stderr, shows images as not known, and exits 1', async () => {
    const result = await run(['mirrors', '--region', 'us-east-1'], fakePort(standardWorld(), { listImageFunctions: deny('lambda:ListFunctions') }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('incomplete: Lambda functions could not be read (lambda:ListFunctions: AccessDeniedException');
    expect(result.stdout).toMatch(/unknown\s+not known/);
    expect(result.stdout).toContain('Used by nothing: 0 images, 0 B');
  });

  it('mirrors --format json: the whole report, digests in full', async () => {
    const result = await run(['mirrors', '--region', 'us-east-1', '--format', 'json']);
    const report = JSON.parse(result.stdout);
    expect(report.repositories.map((repository: { name: string }) => repository.name)).toContain('sysdig-image-fix/quay.io/e2e/app');
    expect(
      report.repositories.flatMap((repository: { images?: { digest: string }[] }) => repository.images ?? []).map((image: { digest: string }) => image.digest),
    ).toContain(digest('old'));
    expect(report.blockers).toEqual([]);
  });

  it('prune: a dry run lists what it would delete and the bytes, deletes nothing', async () => {
    const port = fakePort(standardWorld());
    const result = await run(['prune', '--region', 'us-east-1'], port);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Dry run (nothing is deleted; add --yes to delete): images in us-east-1 used by nothing and pushed before 2026-11-05 12:00Z (--older-than 30d)',
    );
    expect(result.stdout).toMatch(new RegExp(`sysdig-image-fix/docker\\.io/library/nginx\\s+${shortDigest(digest('n125'))}\\s+1\\.25\\s+2026-10-06 12:00Z\\s+1000 B`));
    expect(result.stdout).toContain('Would delete 2 image(s) in 2 group(s), 2.0 KiB');
    expect(result.stdout).toContain('left alone: sysdig-image-fix/hand-made: it has no ManagedBy=sysdig-image-fix tag');
    expect(port.calls.some((call) => call.method === 'deleteImages')).toBe(false);
  });

  it('prune --yes deletes and says so; prune with an unreadable list deletes nothing and exits 1', async () => {
    const port = fakePort(standardWorld());
    const done = await run(['prune', '--region', 'us-east-1', '--yes'], port);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Deleted 2 image(s), 2.0 KiB');
    expect(port.deletes).toHaveLength(2);

    const blocked = fakePort(standardWorld(), { listActiveTaskDefinitions: deny('ecs:ListTaskDefinitions') });
    const refused = await run(['prune', '--region', 'us-east-1', '--yes', '--format', 'json'], blocked);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ dryRun: false, selected: [], blockers: [expect.stringContaining('ecs:ListTaskDefinitions')] });
    expect(blocked.calls.some((call) => call.method === 'deleteImages')).toBe(false);
  });

  it('--help prints the command help and reads nothing', async () => {
    const result = await run(['prune', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sysdig-image-fix prune: delete mirrored images that nothing uses (a dry run unless --yes)');
    expect(result.created).toEqual([]);
  });
});

describe('Function: main (the dispatch to the commands that read AWS)', () => {
  it('hands mirrors and prune to their module: a usage error there is exit 2 with the fix', async () => {
    const result = await runCli(['prune', '--region', 'us-east-1', '--keep-last', 'all']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: --keep-last "all": give a whole number of images to keep per repository');
    expect((await runCli(['mirrors', '--help'])).stdout).toContain('sysdig-image-fix mirrors: what is mirrored, and who uses it (reads only)');
  });

  it('the general help names both commands', async () => {
    const help = (await runCli(['--help'])).stdout;
    expect(help).toContain('sysdig-image-fix mirrors --region R');
    expect(help).toContain('sysdig-image-fix prune --region R');
  });
});
