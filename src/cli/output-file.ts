// `-o FILE`: the result is written whole or not at all. It goes to a temporary file beside FILE, which then replaces
// FILE in one rename, so a failure (disk full, no permission, a signal) leaves FILE as it was and no partial file
// behind. FILE may not be an input of the same run, by any path (a symbolic or hard link, `./x` for `x`): the
// shell's `transform x.yaml > x.yaml` empties the template before it is read, and `-o` must not do the same.
import { randomBytes } from 'node:crypto';
import { chmod, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Device and inode of an existing file, or undefined when there is none. */
async function identity(path: string): Promise<string | undefined> {
  try {
    const found = await stat(path);
    return `${found.dev}:${found.ino}`;
  } catch {
    return undefined;
  }
}

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/** Refuses an output that is one of the inputs (`-` inputs are standard input and never collide). */
export async function checkOutputPath(output: string, inputs: readonly string[]): Promise<void> {
  const files = inputs.filter((input) => input !== '-');
  if (files.length === 0) return;
  const target = await identity(output);
  const targetPath = await canonical(output);
  for (const input of files) {
    const same = (target !== undefined && target === (await identity(input))) || targetPath === (await canonical(input));
    if (same) throw new UsageError(`-o ${output} is the input template ${input}: write the output to another file (then rename it, if you mean to replace the template)`);
  }
}

/**
 * Writes `text` to `path` through a temporary file and one rename (through a symbolic link to its target; an existing
 * file keeps its permissions). Throws UsageError naming the file and the reason.
 */
export async function writeWhole(path: string, text: string): Promise<void> {
  const destination = await canonical(path);
  const temporary = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const existing = await stat(destination).catch(() => undefined);
    await writeFile(temporary, text, { flag: 'wx', mode: 0o644 });
    if (existing !== undefined) await chmod(temporary, existing.mode & 0o7777);
    await rename(temporary, destination);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot write ${path}: ${reason}; nothing was written`, { cause: error });
  }
}
