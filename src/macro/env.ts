// Macro defaults from its environment (set by the macro stack's parameters). Read on every
// invocation, so a changed stack parameter applies at once and tests can pass any environment.
import { type EnvironmentVariables, MacroEnv, SERVICE_TIMEOUT_MAX, SERVICE_TIMEOUT_MIN } from '../contract.js';
import { repositoryPrefixProblem } from '../reference/index.js';
import type { TransformDefaults } from '../template/types.js';

export type MacroDefaults = { readonly ok: true; readonly defaults: TransformDefaults } | { readonly ok: false; readonly problems: readonly string[] };

/** A Lambda function ARN, optionally with a version or alias qualifier. */
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/;
const INTEGER = /^[0-9]+$/;

function shown(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** Reads MIRROR_FUNCTION_ARN (required), REPOSITORY_PREFIX and SERVICE_TIMEOUT; every problem names its variable. */
export function readMacroDefaults(env: EnvironmentVariables): MacroDefaults {
  const problems: string[] = [];
  const arn = env[MacroEnv.MirrorFunctionArn]?.trim() ?? '';
  if (arn.length === 0) {
    problems.push(`environment variable ${MacroEnv.MirrorFunctionArn} is not set: the macro stack must set it to the ARN of the mirror function`);
  } else if (!LAMBDA_FUNCTION_ARN.test(arn)) {
    problems.push(`environment variable ${MacroEnv.MirrorFunctionArn} is ${shown(arn)}, not a Lambda function ARN: fix the macro stack`);
  }

  const prefix = env[MacroEnv.RepositoryPrefix]?.trim() ?? '';
  const prefixProblem = prefix.length > 0 ? repositoryPrefixProblem(prefix) : undefined;
  if (prefixProblem) {
    problems.push(`environment variable ${MacroEnv.RepositoryPrefix} is ${shown(prefix)}: it ${prefixProblem}`);
  }

  const timeoutText = env[MacroEnv.ServiceTimeout]?.trim() ?? '';
  const timeout = Number(timeoutText);
  const timeoutValid = INTEGER.test(timeoutText) && timeout >= SERVICE_TIMEOUT_MIN && timeout <= SERVICE_TIMEOUT_MAX;
  if (timeoutText.length > 0 && !timeoutValid) {
    problems.push(
      `environment variable ${MacroEnv.ServiceTimeout} is ${shown(timeoutText)}: it must be a whole number of seconds from ${SERVICE_TIMEOUT_MIN} to ${SERVICE_TIMEOUT_MAX}`,
    );
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    defaults: {
      mirrorFunctionArn: arn,
      ...(prefix.length > 0 ? { repositoryPrefix: prefix } : {}),
      ...(timeoutText.length > 0 ? { serviceTimeout: timeout } : {}),
    },
  };
}
