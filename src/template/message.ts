// Ceilings for what the transform says, whatever the template holds: a list names its first items and counts the
// rest, a problem is cut at a fixed length, and the macro's failure message (CloudFormation's status reason) keeps
// the first problems within a fixed size. Hostile templates (thousands of problems, 200 KB logical ids) then cost
// bounded memory and still give a readable reason.

/** Items a list in a message names before "and N more". */
export const MAX_LISTED_ITEMS = 10;
/** Characters of one problem's message (CloudFormation's own identifiers are at most 255 characters). */
export const MAX_PROBLEM_CHARS = 1_000;
/**
 * Characters of the macro's failure message: what CloudFormation shows as the status reason. The same ceiling as a
 * custom resource's whole response (4,096 bytes), so the reason stays a paragraph, not a log.
 */
export const MAX_FAILURE_MESSAGE_CHARS = 4_096;

/** `a, b, c`; past `max` items, `a, b, c and 7 more`. */
export function shortList(items: readonly string[], max = MAX_LISTED_ITEMS): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** The text cut to `max` characters, the cut marked with `…`. */
export function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** CloudFormation's longest logical id: a longer one (which CloudFormation refuses anyway) is cut in messages. */
export const MAX_SHOWN_ID_CHARS = 255;

/** A logical id as messages show it. */
export const shownId = (logicalId: string): string => capText(logicalId, MAX_SHOWN_ID_CHARS);
