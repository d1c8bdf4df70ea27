/** The command line or its input cannot be used: exit code 2, with a message saying what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The template text is not valid CloudFormation YAML; the message carries line and column. */
export class CfnYamlError extends Error {
  override readonly name = 'CfnYamlError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
