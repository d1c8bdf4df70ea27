// `sysdig-image-fix`: the macro's transform, offline. Parses the command line and runs one command (commands.ts);
// I/O is injected so tests drive `main` directly.
import { version } from '../../package.json';
import { parseCliArgs } from './args.js';
import { commandSpec } from './commands.js';
import { UsageError } from './errors.js';
import { commandHelpText, helpText } from './help.js';
import { type CliIo, ExitCode } from './io.js';
import { printableLines } from './report.js';

export { ExitCode, type CliIo } from './io.js';

/** Runs the CLI; resolves to the exit code. Never rejects for user mistakes (those are exit 2). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const request = parseCliArgs(argv);
    if (request.kind === 'help') {
      io.stdout.write(request.command === undefined ? helpText() : commandHelpText(request.command));
      return ExitCode.Ok;
    }
    if (request.kind === 'version') {
      io.stdout.write(`sysdig-image-fix ${version}\n`);
      return ExitCode.Ok;
    }
    const command = await commandSpec(request.options.command).load();
    return await command.run(request.options, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${printableLines(error.message)}\nRun "sysdig-image-fix --help" for usage.\n`);
    return ExitCode.Usage;
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

// Run only as the bundled CommonJS program (`dist/cli/index.js`); importing the module runs nothing.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, readStdin: readAllStdin, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = ExitCode.TransformFailed;
    },
  );
}
