// The placeholders of an Fn::Sub string, read one way by the resolver, the parameter collector and the rewrite of
// mirrored parameters.

/** `${...}` in an Fn::Sub string; group 1 is what stands between the braces. */
export const SUB_PLACEHOLDER = /\$\{([^}]*)\}/g;

/** The variable a placeholder names, or undefined for `${!Literal}` (CloudFormation's escape for a literal `${Literal}`). */
export function placeholderVariable(inner: string): string | undefined {
  return inner.startsWith('!') ? undefined : inner.trim();
}
