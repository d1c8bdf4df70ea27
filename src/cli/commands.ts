// The CLI's commands: what each is called, takes and prints, and where its code is. main.ts dispatches here; a command's
// module is loaded only when it runs (offline commands never load what a command that reads AWS needs).
import type { CliIo, CliOptions, CommandName, OutputFormat } from './io.js';

export interface CommandModule {
  run(options: CliOptions, io: CliIo): Promise<number>;
}

export interface CommandSpec {
  readonly name: CommandName;
  /** `transform FILE|- [options]`. */
  readonly usage: string;
  /** What it prints, in a few words (the overview's command list). */
  readonly summary: string;
  /** `--format` values, the default first. */
  readonly formats: readonly OutputFormat[];
  /** How many template FILEs it takes (a command that reads AWS may take none). */
  readonly files: 'one' | 'many' | 'none';
  readonly load: () => Promise<CommandModule>;
}

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'transform',
    usage: 'transform FILE|- [options]',
    summary: 'print the transformed template (stdout, or -o FILE)',
    formats: ['yaml', 'json'],
    files: 'one',
    load: () => import('./commands/transform.js'),
  },
  {
    name: 'scan',
    usage: 'scan FILE|-... [options]',
    summary: 'print a table of the image sites: resource, verdict, image, architecture, mirror',
    formats: ['table', 'json'],
    files: 'many',
    load: () => import('./commands/scan.js'),
  },
];

export const COMMAND_NAMES: readonly CommandName[] = COMMANDS.map((command) => command.name);

export function commandSpec(name: CommandName): CommandSpec {
  return COMMANDS.find((command) => command.name === name)!;
}

export function commandSpecs(): readonly CommandSpec[] {
  return COMMANDS;
}
