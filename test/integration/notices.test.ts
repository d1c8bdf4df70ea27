// Every bundle ships the licence of every package it carries. esbuild's own record of each build (its metafile, kept
// by the build in dist/meta/) says which files went into which bundle; this test finds their packages itself (walking
// up to each file's package.json) and holds THIRD-PARTY-NOTICES beside the bundle to them: each package by name and
// version, with its declared licence and the full text of every licence file it ships. Needs `npm run build`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_ROOT } from '../support/checkout-copy.js';

const BUNDLES = ['cli', 'macro', 'mirror'] as const;

interface Recorded {
  readonly output: string;
  readonly workingDir: string;
  readonly metafile: Metafile;
}

function recorded(bundle: string): Recorded {
  const path = join(CHECKOUT_ROOT, 'dist', 'meta', `${bundle}.json`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build before the integration tests`);
  return JSON.parse(readFileSync(path, 'utf8')) as Recorded;
}

/** The folder of the package a bundled file belongs to: the nearest folder up with a package.json inside node_modules. */
function packageDirOf(file: string): string | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const parent = basename(dirname(dir));
    const grandparent = basename(dirname(dirname(dir)));
    const isPackageRoot = parent === 'node_modules' || (parent.startsWith('@') && grandparent === 'node_modules');
    if (isPackageRoot && existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

function bundledPackages(bundle: string): Map<string, { name: string; version: string; license: unknown }> {
  const { output, workingDir, metafile } = recorded(bundle);
  const packages = new Map<string, { name: string; version: string; license: unknown }>();
  for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]!.inputs)) {
    if (bytesInOutput === 0) continue;
    const dir = packageDirOf(resolve(workingDir, input));
    if (dir === undefined || packages.has(dir)) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license: unknown };
    packages.set(dir, manifest);
  }
  return packages;
}

const normalised = (text: string): string => text.replace(/\r\n?/g, '\n').trim();

describe.each(BUNDLES)('dist/%s: THIRD-PARTY-NOTICES beside the bundle', (bundle) => {
  it('names every bundled package with its version and licence and carries every licence file it ships in full', () => {
    const notices = readFileSync(join(CHECKOUT_ROOT, 'dist', bundle, 'THIRD-PARTY-NOTICES'), 'utf8');
    expect(notices.split('\n')[0]).toBe(
      `Third-party notices for dist/${bundle}/index.js (sysdig-image-fix ${(JSON.parse(readFileSync(join(CHECKOUT_ROOT, 'package.json'), 'utf8')) as { version: string }).version})`,
    );
    const packages = bundledPackages(bundle);
    for (const [dir, { name, version, license }] of packages) {
      const section = notices.split(/^={80}$/m).find((part) => part.startsWith(`\n${name} ${version}\n`));
      expect(section, `${name} ${version} (${dir}) is in the bundle but not in its notices`).toBeDefined();
      expect(section).toContain(`\nLicense: ${typeof license === 'string' ? license : (license as { type: string }).type}\n`);
      const licenceFiles = readdirSync(dir).filter((file) => /^(?:un)?licen[cs]e|^copying|^notice(?:\.|$)/i.test(file));
      for (const file of licenceFiles) expect(notices, `${name}: ${file}`).toContain(normalised(readFileSync(join(dir, file), 'utf8')));
      if (licenceFiles.length === 0)
        expect(section, `${name} ships no licence file: its kept text`).toMatch(/^--- LICENSE from https:\/\/\S+ \(the npm package carries none\)/m);
    }
    // Nothing listed that is not in the bundle.
    const listed = [...notices.matchAll(/^={80}\n(\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(listed).toEqual([...packages.values()].map((p) => `${p.name} ${p.version}`).sort());
  });
});

describe('the bundles as built today', () => {
  it('the CLI carries yaml (ISC); the functions carry Powertools (MIT-0, licence text kept from its repository)', () => {
    expect([...bundledPackages('cli').values()].map((p) => p.name)).toContain('yaml');
    for (const bundle of ['macro', 'mirror']) expect([...bundledPackages(bundle).values()].map((p) => p.name)).toContain('@aws-lambda-powertools/logger');
    const macro = readFileSync(join(CHECKOUT_ROOT, 'dist', 'macro', 'THIRD-PARTY-NOTICES'), 'utf8');
    expect(macro).toContain('Permission is hereby granted, free of charge, to any person obtaining a copy of');
  });
});
