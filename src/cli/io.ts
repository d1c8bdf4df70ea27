// What a command gets: its options, what it reads and writes (injected so tests drive the CLI in process); its exit codes.
import type { EnvironmentVariables } from '../contract.js';

export const ExitCode = { Ok: 0, TransformFailed: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** All of standard input, as text (for FILE `-`). */
  readonly readStdin: () => Promise<string>;
  /** Defaults to reading the file system. */
  readonly readFile?: (path: string) => Promise<string>;
  /** Supplies AWS_REGION / AWS_DEFAULT_REGION. */
  readonly env: EnvironmentVariables;
}

export type CommandName = 'transform' | 'scan';
export type OutputFormat = 'yaml' | 'json' | 'table';

export interface CliOptions {
  readonly command: CommandName;
  /** Paths, or `-` for standard input; one for transform. */
  readonly files: readonly string[];
  readonly region?: string;
  readonly account?: string;
  /** `--parameter K=V` and `--parameter-overrides` pairs in order; a later value for the same K wins. */
  readonly parameters: ReadonlyMap<string, string>;
  readonly mirrorFunctionArn?: string;
  readonly format?: OutputFormat;
  /** `-o FILE`: written whole or not at all; absent or `-` is standard output. */
  readonly output?: string;
  /** No `note:` lines. */
  readonly quiet: boolean;
}
