// Test data that is not in the repository: the real third-party templates, read-only, in ../shared/real-templates
// beside the checkout. Suites that read it skip when it is missing, named in the run's one summary block of missing
// tools (tools.ts); under CI=true they fail with one line saying what is missing and how to get it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTools, type DataCheck } from './tools.js';

/** Names another folder of real templates (stryker.config.mjs: a mutation run tests a copy of the checkout elsewhere). */
export const REAL_TEMPLATES_ENV = 'SYSDIG_IMAGE_FIX_REAL_TEMPLATES';

/** The folder, with a trailing "/". */
export const REAL_TEMPLATES_DIR = join(process.env[REAL_TEMPLATES_ENV] || fileURLToPath(new URL('../../../shared/real-templates', import.meta.url)), '/');

export const REAL_TEMPLATES: DataCheck = {
  name: '../shared/real-templates',
  path: REAL_TEMPLATES_DIR,
  install: `clone the checkout beside the project's shared folder (it holds real-templates/), or name the folder in ${REAL_TEMPLATES_ENV}`,
};

/** `describe.skipIf(!haveTestData(...))`: whether the data is there (recorded for the summary, or a failure under CI=true). */
export function haveTestData(...data: DataCheck[]): boolean {
  return haveTools(...data);
}
