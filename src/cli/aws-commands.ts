// `mirrors` and `prune`: the CLI's commands that read AWS. main.ts loads this module only for them (dynamic import;
// the build makes it a bundle of its own, dist/cli/aws-commands.js), so `transform` and `scan` never load the AWS SDK.
import type { EnvironmentVariables } from '../contract.js';
import { createOpsPort, type OpsAwsOptions } from '../ops/aws.js';
import { readInventory } from '../ops/inventory.js';
import { runPrune } from '../ops/prune-run.js';
import type { OpsPort } from '../ops/types.js';
import { analyseUsage } from '../ops/usage.js';
import { UsageError } from './errors.js';
import { type OpsOptions, parseOpsArgs, type PruneCliOptions } from './ops-args.js';
import { MIRRORS_HELP, PRUNE_HELP } from './ops-help.js';
import { formatMirrorsTable, formatPruneText, formatReadingProblems, pruneJson } from './ops-report.js';
import { printableLines } from './report.js';

/** What these commands need of the CLI's I/O (main.ts's CliIo has it). */
export interface OpsIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: EnvironmentVariables;
}

export interface OpsDependencies {
  /** The AWS port; tests hand in their own. */
  readonly createPort?: (options: OpsAwsOptions) => OpsPort & { close?(): void };
  readonly now?: () => number;
}

/** 0 complete, 1 something could not be read (or deleted), 2 usage. */
export const OpsExitCode = { Ok: 0, Incomplete: 1, Usage: 2 } as const;

function portFor(options: OpsOptions, dependencies: OpsDependencies) {
  const create = dependencies.createPort ?? createOpsPort;
  return create({ region: options.region, ...(options.profile !== undefined ? { profile: options.profile } : {}) });
}

async function mirrors(options: OpsOptions, io: OpsIo, port: OpsPort): Promise<number> {
  const report = analyseUsage(await readInventory(port, { region: options.region, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) }));
  io.stderr.write(formatReadingProblems(report));
  io.stdout.write(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatMirrorsTable(report));
  const complete = report.blockers.length === 0 && report.unreadable.length === 0;
  return complete ? OpsExitCode.Ok : OpsExitCode.Incomplete;
}

async function prune(options: PruneCliOptions, io: OpsIo, port: OpsPort, now: () => number): Promise<number> {
  const outcome = await runPrune(port, {
    region: options.region,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    olderThanMs: options.olderThanMs,
    keepLast: options.keepLast,
    yes: options.yes,
    now,
  });
  io.stderr.write(formatReadingProblems(outcome.report));
  const cutoff = new Date(now() - options.olderThanMs).toISOString().slice(0, 16).replace('T', ' ');
  const criteria =
    `images in ${options.region} used by nothing and pushed before ${cutoff}Z (--older-than ${options.olderThan}), ` +
    `keeping the newest ${options.keepLast} of each repository (--keep-last)`;
  io.stdout.write(options.format === 'json' ? `${JSON.stringify(pruneJson(outcome), null, 2)}\n` : formatPruneText(outcome, criteria));
  const failed = outcome.plan.blockers.length > 0 || outcome.stopped !== undefined || outcome.repositories.some((repository) => repository.failures.length > 0);
  return failed ? OpsExitCode.Incomplete : OpsExitCode.Ok;
}

/** Runs `mirrors` or `prune` (`argv` starts with the command); resolves to the exit code. */
export async function runAwsCommand(argv: readonly string[], io: OpsIo, dependencies: OpsDependencies = {}): Promise<number> {
  let options: OpsOptions | PruneCliOptions;
  try {
    options = parseOpsArgs(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${printableLines(error.message)}\nRun "sysdig-image-fix --help" for usage.\n`);
    return OpsExitCode.Usage;
  }
  if (options.help) {
    io.stdout.write(options.command === 'prune' ? PRUNE_HELP : MIRRORS_HELP);
    return OpsExitCode.Ok;
  }
  const port = portFor(options, dependencies);
  try {
    return options.command === 'prune' ? await prune(options as PruneCliOptions, io, port, dependencies.now ?? Date.now) : await mirrors(options, io, port);
  } finally {
    port.close?.();
  }
}
