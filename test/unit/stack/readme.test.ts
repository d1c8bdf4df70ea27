// The README is what a newcomer reads first (issue 18): short, in the order a newcomer needs it, and the way into
// every reference page. A page added to docs/ without a link from the README (or from the page that owns it) fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_PATH } from '../../../scripts/package-stackset.js';

const ROOT = join(TEMPLATE_PATH, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Pages linked from another docs page rather than from the README, with that page. */
const LINKED_FROM_DOCS: Record<string, string> = { 'mutation-survivors.md': 'development.md' };

const linksOf = (text: string) => [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1]);

describe('README.md', () => {
  it('stays at most 200 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('has what it is, the quick start, Sysdig templates in three steps and the documentation, in that order', () => {
    const headings = README.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual(['## What it is', '## Quick start (offline, no AWS account)', "## Sysdig's templates in three steps", '## Documentation']);
  });

  it('shows the commands a newcomer starts with: npm ci, npm start and npm test', () => {
    const commands = README.split('\n').map((line) => line.replace(/^\s*\$\s*/, '').trim());
    for (const command of ['npm ci', 'npm test']) expect(commands).toContain(command);
    expect(commands.some((command) => command.startsWith('npm start'))).toBe(true);
  });

  it('links every page of docs/ (or the docs page that owns it) and the CHANGELOG', () => {
    const pages = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md'));
    const fromReadme = new Set(linksOf(README));
    expect(fromReadme).toContain('CHANGELOG.md');
    for (const page of pages) {
      const owner = LINKED_FROM_DOCS[page];
      const links = owner === undefined ? fromReadme : new Set(linksOf(readFileSync(join(ROOT, 'docs', owner), 'utf8')));
      expect(links, `docs/${page} is linked from ${owner === undefined ? 'README.md' : `docs/${owner}`}`).toContain(owner === undefined ? `docs/${page}` : page);
    }
  });
});
