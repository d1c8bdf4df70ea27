// A copy of this checkout as a fresh clone would have it (tracked files plus new files not yet committed, nothing
// ignored: no dist/, no .aws-sam/), with node_modules linked rather than installed. Tests that build, pack or package
// work there, so they never rewrite the dist/ that other suites are loading at the same time.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const CHECKOUT_ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export interface CheckoutCopy {
  readonly dir: string;
  remove(): void;
}

/** `parent`: where the copy is made (default the system's temporary folder). */
export function copyCheckout(prefix = 'sif-checkout-', parent = tmpdir()): CheckoutCopy {
  const dir = mkdtempSync(join(parent, prefix));
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: CHECKOUT_ROOT, encoding: 'utf8' });
    // node_modules is linked below; a checkout whose node_modules is itself a link lists it as an untracked file.
    for (const file of listed.split('\0').filter((path) => path !== '' && path !== 'node_modules' && !path.startsWith('node_modules/'))) {
      const target = join(dir, file);
      mkdirSync(dirname(target), { recursive: true });
      try {
        copyFileSync(join(CHECKOUT_ROOT, file), target);
      } catch (error) {
        // A tracked file deleted in the working tree is not part of the copy either.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    symlinkSync(join(CHECKOUT_ROOT, 'node_modules'), join(dir, 'node_modules'));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
