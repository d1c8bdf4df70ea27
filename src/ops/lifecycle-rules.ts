// ECR lifecycle policies (pure): which rules could expire, or move to the archive storage class, an image that
// something uses. A rule "could" when its selection takes the image (tag status, tag prefixes or patterns): its count
// (age, or number of newer images) only says when, and pushes or time make it true sooner or later. Lambda puts a
// function whose image is gone in Failed state, and an archived image cannot be pulled.
import { iamPatternMatches } from '../iam.js';
import { isPlainObject } from '../values.js';

export interface LifecycleRule {
  readonly priority: number | undefined;
  readonly description?: string;
  /** `expire` or `transition`. */
  readonly action: string;
  readonly tagStatus: string;
  readonly tagPrefixes: readonly string[];
  readonly tagPatterns: readonly string[];
  /** In words: `expire untagged images pushed more than 14 days ago`. */
  readonly summary: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function summarize(action: string, tagStatus: string, prefixes: readonly string[], patterns: readonly string[], selection: Record<string, unknown>): string {
  const which =
    tagStatus === 'untagged'
      ? 'untagged images'
      : tagStatus === 'any'
        ? 'any image'
        : `images tagged ${[...prefixes.map((prefix) => `${prefix}*`), ...patterns].join(' or ') || '(no tag list)'}`;
  const count = selection.countNumber;
  const unit = typeof selection.countUnit === 'string' ? selection.countUnit : 'days';
  const when: Record<string, string> = {
    imageCountMoreThan: `beyond the newest ${count}`,
    sinceImagePushed: `pushed more than ${count} ${unit} ago`,
    sinceImagePulled: `not pulled for ${count} ${unit}`,
    sinceImageTransitioned: `archived more than ${count} ${unit} ago`,
  };
  const verb = action === 'transition' ? 'archive' : action;
  return `${verb} ${which} ${when[String(selection.countType)] ?? `(${String(selection.countType)})`}`;
}

/** The rules that remove or archive images; a policy that does not parse gives undefined. */
export function parseLifecyclePolicy(text: string): LifecycleRule[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || !Array.isArray(parsed.rules)) return undefined;
  const rules: LifecycleRule[] = [];
  for (const rule of parsed.rules) {
    if (!isPlainObject(rule) || !isPlainObject(rule.selection)) return undefined;
    const action = isPlainObject(rule.action) && typeof rule.action.type === 'string' ? rule.action.type : 'expire';
    if (action !== 'expire' && action !== 'transition') continue;
    const selection = rule.selection;
    const tagStatus = typeof selection.tagStatus === 'string' ? selection.tagStatus : 'any';
    const tagPrefixes = strings(selection.tagPrefixList);
    const tagPatterns = strings(selection.tagPatternList);
    rules.push({
      priority: typeof rule.rulePriority === 'number' ? rule.rulePriority : undefined,
      ...(typeof rule.description === 'string' && rule.description !== '' ? { description: rule.description } : {}),
      action,
      tagStatus,
      tagPrefixes,
      tagPatterns,
      summary: summarize(action, tagStatus, tagPrefixes, tagPatterns, selection),
    });
  }
  return rules;
}

/**
 * Whether the rule's selection takes an image with these tags. ECR's tag patterns know only `*` (any run of
 * characters); tags never contain `?`, so the IAM matcher gives the same answers.
 */
export function ruleSelects(rule: LifecycleRule, tags: readonly string[]): boolean {
  if (rule.tagStatus === 'untagged') return tags.length === 0;
  if (rule.tagStatus === 'any') return true;
  return tags.some((tag) => rule.tagPrefixes.some((prefix) => tag.startsWith(prefix)) || rule.tagPatterns.some((pattern) => iamPatternMatches(pattern, tag)));
}

/** `rule 1 ("keep it small"): expire untagged images pushed more than 14 days ago`. */
export function describeRule(rule: LifecycleRule): string {
  return `rule ${rule.priority ?? '?'}${rule.description !== undefined ? ` (${JSON.stringify(rule.description)})` : ''}: ${rule.summary}`;
}
