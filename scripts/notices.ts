// Third-party notices for the bundles. esbuild drops the packages' legal comments (legalComments: 'none' keeps the
// inline Lambda code small), so each bundle ships a THIRD-PARTY-NOTICES file beside it instead, generated from
// esbuild's own record of what went into it (the metafile): every package with bytes in the output, its version,
// its declared licence and the full licence text(s) from the package itself (LICENSE, LICENCE, COPYING and, for
// Apache-2.0, NOTICE files). A package that ships no licence text fails the build, unless its text is kept in
// scripts/licenses/ below (copied from the package's own repository, for the declared licence only).
//
// Where the notices go: dist/<bundle>/THIRD-PARTY-NOTICES (npm package for the CLI, `sam build`'s artefact for the
// functions); the packaged templates, whose code is inline (ZipFile) and cannot carry a file, get one beside them
// (scripts/package.ts). dist/meta/<bundle>.json keeps esbuild's metafile for that and for the tests.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NOTICES_FILE = 'THIRD-PARTY-NOTICES';
export const META_DIR = join(ROOT, 'dist', 'meta');

/** A licence text kept here for a package whose npm tarball carries none. */
interface KeptLicence {
  /** The licence the package declares; the kept text applies only while it still declares it. */
  readonly license: string;
  readonly file: string;
  /** Where the text was copied from. */
  readonly from: string;
}

const POWERTOOLS_LICENCE: KeptLicence = {
  license: 'MIT-0',
  file: 'powertools-lambda-typescript.LICENSE',
  from: 'https://github.com/aws-powertools/powertools-lambda-typescript/blob/a17ecbfe6ece10e6572f89367bae24de17e1bd2e/LICENSE',
};
export const KEPT_LICENCES: Readonly<Record<string, KeptLicence>> = {
  '@aws-lambda-powertools/commons': POWERTOOLS_LICENCE,
  '@aws-lambda-powertools/logger': POWERTOOLS_LICENCE,
};
/**
 * Licences whose text names no copyright holder, so one text serves every package that declares them (several AWS
 * SDK packages ship no LICENSE file). This project's own LICENSE is the Apache License 2.0 text.
 */
export const STANDARD_LICENCES: Readonly<Record<string, KeptLicence>> = {
  'Apache-2.0': { license: 'Apache-2.0', file: '../../LICENSE', from: 'https://www.apache.org/licenses/LICENSE-2.0' },
};

function keptLicenceFor(name: string, license: string, kept: Readonly<Record<string, KeptLicence>>): KeptLicence | undefined {
  const own = kept[name];
  if (own !== undefined) return own.license === license ? own : undefined;
  return STANDARD_LICENCES[license];
}

/** A bundled package without a licence text to ship, or another reason the notices cannot be written. */
export class NoticesError extends Error {
  override readonly name = 'NoticesError';
}

export interface LicenceText {
  /** The file's name in the package, or the source URL of a kept text. */
  readonly source: string;
  readonly text: string;
}

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly homepage?: string;
  readonly texts: readonly LicenceText[];
}

const LICENCE_FILE = /^(?:un)?licen[cs]e(?:[.-].*)?$|^copying(?:\..*)?$/i;
const NOTICE_FILE = /^notice(?:\.(?:md|txt))?$/i;

/**
 * Package folders (absolute) whose files put bytes into `output`, from esbuild's metafile. Paths in the metafile are
 * relative to the build's working directory. A package nested in another's node_modules is its own package.
 */
export function bundledPackageDirs(metafile: Metafile, output: string, workingDir: string): string[] {
  const outputs = metafile.outputs[output];
  if (outputs === undefined) throw new NoticesError(`esbuild's metafile has no output ${output} (outputs: ${Object.keys(metafile.outputs).join(', ')})`);
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(outputs.inputs)) {
    const path = input.replaceAll('\\', '/');
    const at = path.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const rest = path.slice(at + 'node_modules/'.length).split('/');
    const nameParts = rest[0]?.startsWith('@') ? 2 : 1;
    const dir = resolve(workingDir, path.slice(0, at), 'node_modules', ...rest.slice(0, nameParts));
    bytes.set(dir, (bytes.get(dir) ?? 0) + bytesInOutput);
  }
  return [...bytes.entries()].filter(([, count]) => count > 0).map(([dir]) => dir);
}

function licenseOf(manifest: Record<string, unknown>): string {
  const { license, licenses } = manifest;
  if (typeof license === 'string') return license;
  if (license !== null && typeof license === 'object' && typeof (license as { type?: unknown }).type === 'string') return (license as { type: string }).type;
  if (Array.isArray(licenses)) return licenses.map((entry) => (entry as { type?: string }).type ?? '?').join(' OR ');
  return 'UNKNOWN';
}

function homepageOf(manifest: Record<string, unknown>): string | undefined {
  const { homepage, repository } = manifest;
  if (typeof homepage === 'string') return homepage;
  const url = typeof repository === 'string' ? repository : (repository as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url.replace(/^git\+/, '').replace(/\.git$/, '') : undefined;
}

/** Reads a bundled package's name, version, licence and licence texts; fails when there is no text to ship. */
export function readBundledPackage(dir: string, keptLicences: Readonly<Record<string, KeptLicence>> = KEPT_LICENCES): BundledPackage {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const name = String(manifest.name ?? relative(ROOT, dir));
  const version = String(manifest.version ?? '?');
  const license = licenseOf(manifest);
  const files = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile());
  const texts: LicenceText[] = [...files.filter((f) => LICENCE_FILE.test(f.name)), ...files.filter((f) => NOTICE_FILE.test(f.name))].map((f) => ({
    source: f.name,
    text: readFileSync(join(dir, f.name), 'utf8'),
  }));
  if (!texts.some((text) => LICENCE_FILE.test(text.source))) {
    const kept = keptLicenceFor(name, license, keptLicences);
    if (kept === undefined) {
      throw new NoticesError(
        `${name}@${version} (${relative(ROOT, dir)}) is bundled but ships no licence text (declared licence: ${license}). ` +
          `Copy the licence text from the package's repository into scripts/licenses/ and list it in KEPT_LICENCES (scripts/notices.ts), ` +
          'or keep the package out of the bundle',
      );
    }
    texts.unshift({ source: `LICENSE from ${kept.from} (the npm package carries none)`, text: readFileSync(join(ROOT, 'scripts', 'licenses', kept.file), 'utf8') });
  }
  const homepage = homepageOf(manifest);
  return { name, version, license, ...(homepage !== undefined ? { homepage } : {}), texts };
}

const RULE = '='.repeat(80);

/** The notices text: what it covers, then each package (sorted by name) with its licence texts in full. */
export function renderNotices(covers: string, packages: readonly BundledPackage[], productVersion: string): string {
  const sorted = [...packages].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
  const head = [
    `Third-party notices for ${covers} (sysdig-image-fix ${productVersion})`,
    '',
    'sysdig-image-fix is licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0). This code',
    sorted.length === 0 ? 'contains the code of no third-party package.' : 'also contains the third-party packages below, each under its own licence, reproduced in full.',
  ];
  // Many packages carry the same text (the AWS SDK's Apache-2.0 LICENSE): it is reproduced once.
  const firstWith = new Map<string, string>();
  const sections = sorted.map((pkg) => {
    const lines = [RULE, `${pkg.name} ${pkg.version}`, `License: ${pkg.license}`];
    if (pkg.homepage !== undefined) lines.push(`Home: ${pkg.homepage}`);
    for (const { source, text } of pkg.texts) {
      const normalised = text.replace(/\r\n?/g, '\n').trim();
      const earlier = firstWith.get(normalised);
      if (earlier !== undefined) {
        lines.push(`--- ${source}: the same text as for ${earlier} above`, '');
        continue;
      }
      firstWith.set(normalised, `${pkg.name} ${pkg.version}`);
      lines.push(`--- ${source}`, '', normalised, '');
    }
    return lines.join('\n');
  });
  return `${[...head, '', ...sections].join('\n').trimEnd()}\n`;
}

function productVersion(): string {
  return String((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version);
}

/** The packages bundled into the outputs of the recorded bundles `names` (dist/meta/<name>.json), without repeats. */
export function packagesOfBundles(names: readonly string[]): BundledPackage[] {
  const dirs = new Set<string>();
  for (const name of names) {
    const path = join(META_DIR, `${name}.json`);
    if (!existsSync(path)) throw new NoticesError(`${path} is missing; run npm run build`);
    const { metafile, output, workingDir } = JSON.parse(readFileSync(path, 'utf8')) as { metafile: Metafile; output: string; workingDir: string };
    for (const dir of bundledPackageDirs(metafile, output, workingDir)) dirs.add(dir);
  }
  return [...dirs].map((dir) => readBundledPackage(dir));
}

/** Notices covering several recorded bundles (the packaged templates carry the macro and the mirror inline). */
export function noticesForBundles(covers: string, names: readonly string[]): string {
  return renderNotices(covers, packagesOfBundles(names), productVersion());
}

/**
 * Called by the build for each bundle: records esbuild's metafile (dist/meta/<name>.json) and writes
 * <outdir>/THIRD-PARTY-NOTICES for the bundle's output file.
 */
export function writeBundleNotices(name: string, metafile: Metafile, outfile: string, workingDir: string = process.cwd()): void {
  const output = relative(workingDir, outfile).replaceAll('\\', '/');
  mkdirSync(META_DIR, { recursive: true });
  writeFileSync(join(META_DIR, `${name}.json`), `${JSON.stringify({ output, workingDir, metafile })}\n`);
  const packages = bundledPackageDirs(metafile, output, workingDir).map((dir) => readBundledPackage(dir));
  writeFileSync(join(dirname(outfile), NOTICES_FILE), renderNotices(relative(ROOT, outfile), packages, productVersion()));
}
