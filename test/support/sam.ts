// Runs the real AWS SAM translator (python3 module `samtranslator`) on a template, offline.
// Gate suites that use it on TOOLS.samTranslator (test/support/tools.ts).
import { spawn } from 'node:child_process';

/**
 * Reads {template, parameterValues} as JSON on stdin and prints the translated template.
 * The managed-policy loader is a stub (no IAM calls); the feature toggle uses the translator's
 * built-in defaults, which need no network either. The region comes from AWS_DEFAULT_REGION.
 */
const TRANSLATE_PY = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.model.exceptions import InvalidDocumentException

class NoManagedPolicies:
    def load(self):
        return {}

request = json.load(sys.stdin)
try:
    output = transform(request["template"], request["parameterValues"], NoManagedPolicies())
except InvalidDocumentException as error:
    sys.stderr.write("; ".join(cause.message for cause in error.causes))
    sys.exit(3)
json.dump(output, sys.stdout)
`;

export class SamTranslationError extends Error {
  override readonly name = 'SamTranslationError';
}

export interface SamOptions {
  readonly region: string;
  /** What the SAM transform gets as parameter values (CloudFormation passes the stack's). */
  readonly parameterValues?: Readonly<Record<string, unknown>>;
}

/** Translates a SAM template into plain CloudFormation with the installed samtranslator. */
export function samTranslate(template: unknown, options: SamOptions): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', TRANSLATE_PY], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_DEFAULT_REGION: options.region },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new SamTranslationError(`samtranslator failed (exit ${code}): ${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch (error) {
        reject(new SamTranslationError(`samtranslator printed no JSON: ${stdout.slice(0, 500)}`, { cause: error }));
      }
    });
    child.stdin.end(JSON.stringify({ template, parameterValues: options.parameterValues ?? {} }));
  });
}
