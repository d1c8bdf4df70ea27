// Runs the CLI's `main` in process with captured output (what the CLI tests share).
import { main } from '../../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => {
      if (options.stdin === undefined) throw new Error('stdin is closed');
      return options.stdin;
    },
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}
