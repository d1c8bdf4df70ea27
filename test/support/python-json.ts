// Runs a Python script that reads one JSON value on stdin and prints one JSON value: how the tests ask the real
// Python tools (cfn-lint's decoder, the SAM translator) for their answer.
import { spawn } from 'node:child_process';

export interface PythonJsonOptions {
  /** Names the tool in failure messages ("samtranslator failed (exit 1): ..."). */
  readonly what: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The error to reject with (a tool's own error class); a plain Error by default. */
  readonly error?: (message: string, options?: ErrorOptions) => Error;
}

export function runPythonJson<T>(script: string, input: unknown, options: PythonJsonOptions): Promise<T> {
  const fail = options.error ?? ((message: string, errorOptions?: ErrorOptions) => new Error(message, errorOptions));
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(fail(`${options.what} failed (exit ${code}): ${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch (error) {
        reject(fail(`${options.what} printed no JSON: ${stdout.slice(0, 500)}`, { cause: error }));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}
