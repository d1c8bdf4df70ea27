// A site kept because its value names private ECR of the region is right for the parameter values of this transform.
// Which of its parameters could, with another value, name an image elsewhere? Those whose value decides the registry
// or the repository; not a parameter that is only the tag (`...amazonaws.com/api:${Tag}`). Found by evaluating the
// site again with other values for one parameter at a time: each of its AllowedValues when it declares them, else two
// probes made of twelve digits (valid as a tag, a repository path or an account id, never as a region or a host), so
// that an account id parameter counts as staying in the region, as Lambda and ECS see it.
import { createResolver } from './resolve/resolver.js';
import type { ImageClassifier } from './images.js';
import { getOwn } from './json.js';
import type { Json, JsonObject, TransformContext } from './types.js';

const PROBES: readonly string[] = ['000000000000', '999999999999'];

export interface KeptSiteEnv {
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly classifyImage: ImageClassifier;
}

/** The values to try for a parameter; undefined when another value cannot be tried (a list parameter). */
function probesFor(name: string, template: JsonObject): readonly string[] | undefined {
  const declaration = getOwn(getOwn(template, 'Parameters'), name);
  const type = getOwn(declaration, 'Type');
  if (typeof type === 'string' && (type.startsWith('List<') || type === 'CommaDelimitedList')) return undefined;
  const allowed = getOwn(declaration, 'AllowedValues');
  if (Array.isArray(allowed) && allowed.length > 0 && allowed.every((value) => typeof value === 'string' || typeof value === 'number')) {
    return allowed.map(String);
  }
  return PROBES;
}

/** Whether the site stays in private ECR of the region whatever value `name` takes (of those tried). */
function staysWith(name: string, expression: Json, env: KeptSiteEnv, repositoryPrefix: string): boolean {
  const probes = probesFor(name, env.template);
  if (probes === undefined) return false;
  return probes.every((probe) => {
    const templateParameterValues = { ...env.context.templateParameterValues, [name]: probe };
    const evaluation = createResolver(env.template, { ...env.context, templateParameterValues }).evaluate(expression);
    return evaluation.kind === 'value' && typeof evaluation.value === 'string' && env.classifyImage(evaluation.value, repositoryPrefix).kind === 'keep';
  });
}

/** Of the parameters a kept site is built from, those that could move its image out of private ECR of the region. */
export function registryParameters(expression: Json, parameters: readonly string[], env: KeptSiteEnv, repositoryPrefix: string): string[] {
  return parameters.filter((name) => !staysWith(name, expression, env, repositoryPrefix));
}
