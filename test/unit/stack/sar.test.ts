// The Serverless Application Repository listing in template.yaml (Metadata AWS::ServerlessRepo::Application), held to
// the rules the SAM documentation gives for it ("AWS SAM template Metadata section properties") and to package.json,
// so a version bump or a new home cannot leave the listing behind. cfn-lint and the SAM translator check the template
// with this metadata in test/integration/release.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { TEMPLATE_PATH, parseTemplate } from '../../../scripts/package-stackset.js';

const ROOT = join(TEMPLATE_PATH, '..');
const template = parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8'));
const listing = (template.Metadata as JsonObject)['AWS::ServerlessRepo::Application'] as Record<string, Json>;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  repository: { url: string };
};
const repositoryUrl = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

describe('template.yaml: Serverless Application Repository listing', () => {
  it('has every required field within the documented limits, and no intrinsic function', () => {
    expect(Object.keys(listing).sort()).toEqual(
      ['Author', 'Description', 'HomePageUrl', 'Labels', 'LicenseUrl', 'Name', 'ReadmeUrl', 'SemanticVersion', 'SourceCodeUrl', 'SpdxLicenseId'].sort(),
    );
    expect(listing.Name).toMatch(/^[a-zA-Z0-9-]{1,140}$/);
    expect(String(listing.Description).length).toBeGreaterThan(0);
    expect(String(listing.Description).length).toBeLessThanOrEqual(256);
    expect(listing.Author).toMatch(/^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/);
    expect(String(listing.Author).length).toBeLessThanOrEqual(127);
    const labels = listing.Labels as string[];
    expect(labels.length).toBeLessThanOrEqual(10);
    for (const label of labels) expect(label).toMatch(/^[a-zA-Z0-9+\-_:/@]{1,127}$/);
    expect(JSON.stringify(listing)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
  });

  it('follows package.json: name, version, license and repository', () => {
    expect(listing.Name).toBe(pkg.name);
    expect(listing.SemanticVersion).toBe(pkg.version);
    expect(listing.SemanticVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(listing.SpdxLicenseId).toBe(pkg.license);
    expect(listing.SourceCodeUrl).toBe(repositoryUrl);
    expect(listing.HomePageUrl).toBe(repositoryUrl);
  });

  it('points at the license and readme files that sam package uploads', () => {
    for (const file of [listing.LicenseUrl, listing.ReadmeUrl] as string[]) expect(existsSync(join(ROOT, file)), file).toBe(true);
    expect(readFileSync(join(ROOT, listing.LicenseUrl as string), 'utf8')).toContain('Apache License\n                           Version 2.0');
  });
});
