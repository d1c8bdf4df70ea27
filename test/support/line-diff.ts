// A longest-common-subsequence line diff, as `diff` shows it: what the CLI's YAML output changed in the input.

/** Indexes of the lines only in `before` and of the lines only in `after`, in order. */
export function lineDiff(before: readonly string[], after: readonly string[]): { removed: number[]; added: number[] } {
  const lengths = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      lengths[i]![j] = before[i] === after[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const removed: number[] = [];
  const added: number[] = [];
  let [i, j] = [0, 0];
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) [i, j] = [i + 1, j + 1];
    else if (j < after.length && (i === before.length || lengths[i]![j + 1]! >= lengths[i + 1]![j]!)) added.push(j++);
    else removed.push(i++);
  }
  return { removed, added };
}

/** The lines only in `before` and the lines only in `after`. */
export function changedLines(before: readonly string[], after: readonly string[]): { removed: string[]; added: string[] } {
  const { removed, added } = lineDiff(before, after);
  return { removed: removed.map((index) => before[index]!), added: added.map((index) => after[index]!) };
}
