// Runs the real AWS SAM translator (python3 module `samtranslator`) on a template, offline.
// Gate suites that use it on TOOLS.samTranslator (test/support/tools.ts).
import { runPythonJson } from './python-json.js';

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
  return runPythonJson<Record<string, unknown>>(
    TRANSLATE_PY,
    { template, parameterValues: options.parameterValues ?? {} },
    {
      what: 'samtranslator',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_DEFAULT_REGION: options.region },
      error: (message, errorOptions) => new SamTranslationError(message, errorOptions),
    },
  );
}
