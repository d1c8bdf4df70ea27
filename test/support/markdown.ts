// Links and headings of a markdown file, as GitHub (and npm's page) render them: what the link checks read.

/** The lines of `text` outside fenced code blocks, with inline code spans blanked; 1-based line numbers. */
function proseLines(text: string): Array<{ line: number; text: string; raw: string }> {
  const out: Array<{ line: number; text: string; raw: string }> = [];
  let fence: string | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    const mark = /^ *(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (mark !== undefined && mark[0] === fence[0] && mark.length >= fence.length && line.trim() === mark) fence = undefined;
      continue;
    }
    if (mark !== undefined) {
      fence = mark;
      continue;
    }
    out.push({ line: index + 1, text: line.replace(/(`+)[^`]*?\1/g, ''), raw: line });
  }
  return out;
}

/** Every link target, inline `[text](target)` and reference `[label]: target`, with its line. */
export function markdownLinks(text: string): Array<{ line: number; target: string }> {
  return proseLines(text).flatMap(({ line, text: prose }) => [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({ line, target: m[1]! })),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => ({ line, target: m[1]! })),
  ]);
}

/** GitHub's anchors for the headings of a markdown file (lower case, punctuation dropped, spaces to `-`, repeats numbered). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { raw } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
