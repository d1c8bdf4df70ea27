// An error text with the images' own names taken out, so that only the registry's words decide what happened.
// skopeo's and the registries' messages quote the tag, the repository and the host, and those are chosen by whoever
// publishes the image: a tag may be named `invalid`, `denied` or `ImageTagAlreadyExists`. The buildspec's bash
// (`registry_words`) applies the same rule to skopeo's stderr; test/integration/buildspec-registry-words.test.ts holds
// the two to the same output.

/** Word characters stripped before the comparison and kept around the replacement: quotes, brackets, punctuation. */
const LEADING = /^[("'`[]*/;
const TRAILING = /[\]).,;:"'`]*$/;
export const IMAGE_NAME_PLACEHOLDER = '<image>';

/** The registry host and the tag of each image: the parts that, unlike a path, hold neither `/` nor `@`. */
function namesOf(images: readonly string[]): string[] {
  return images.flatMap((image) => {
    const slash = image.indexOf('/');
    const host = slash === -1 ? image : image.slice(0, slash);
    const last = image.split('@', 1)[0]!.split('/').pop()!;
    const colon = last.indexOf(':');
    return colon === -1 ? [host] : [host, last.slice(colon + 1)];
  });
}

/** A word that names an image: a path or reference (with `/` or `@`), a host or a tag of one, or `name:tag`. */
function namesAnImage(core: string, names: readonly string[]): boolean {
  return /[/@]/.test(core) || names.some((name) => core === name || core.endsWith(`:${name}`));
}

/** `text` with every word that names one of `images` replaced by `<image>`; words are separated by spaces or tabs. */
export function registryWords(text: string, images: readonly string[]): string {
  const names = namesOf(images.filter((image) => image !== ''));
  return text
    .split('\n')
    .map((line) =>
      line
        .split(/[ \t]+/)
        .filter((word) => word !== '')
        .map((word) => {
          const lead = LEADING.exec(word)![0];
          const rest = word.slice(lead.length);
          const trail = TRAILING.exec(rest)![0];
          const core = rest.slice(0, rest.length - trail.length);
          return namesAnImage(core, names) ? `${lead}${IMAGE_NAME_PLACEHOLDER}${trail}` : word;
        })
        .join(' '),
    )
    .join('\n');
}
