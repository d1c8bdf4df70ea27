// The configuration reference (docs/configuration.md) says what the code has: every macro stack parameter of
// template.yaml with its default, allowed values and bounds, and every Metadata option key the transform reads.
// Numbers and names in the reference come from here, so a parameter added, renamed or re-bounded fails this test
// until the docs say so too. The upgrade guide names the hand-over format the mirror function reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { CONTINUATION_VERSION } from '../../../src/mirror/cfn/events.js';
import { allOptionKeys } from '../../../src/template/option-schema.js';
import type { JsonObject } from '../../../src/template/types.js';
import { TEMPLATE_PATH } from '../../../scripts/package-stackset.js';

const ROOT = join(TEMPLATE_PATH, '..');
const CONFIGURATION = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
const PARAMETERS = (parseCfnYaml(readFileSync(TEMPLATE_PATH, 'utf8')) as JsonObject).Parameters as Record<string, JsonObject>;

/** Rows of the first table after `heading`: first cell's code name -> the cells. */
function tableRows(heading: string): Map<string, string[]> {
  const start = CONFIGURATION.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/configuration.md has no ${heading}`);
  const rows = new Map<string, string[]>();
  const lines = CONFIGURATION.slice(start).split('\n').slice(2);
  const first = lines.findIndex((line) => line.startsWith('|'));
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'));
    const name = /^`([^`]+)`$/.exec(cells[0]!)?.[1];
    if (name !== undefined) rows.set(name, cells);
  }
  return rows;
}

describe('docs/configuration.md: macro stack parameters', () => {
  const rows = tableRows('## Macro stack parameters (`template.yaml`)');

  it('lists exactly the parameters of template.yaml', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(PARAMETERS).sort());
  });

  it.each(Object.entries(PARAMETERS))("%s: the default, allowed values and bounds are the template's", (name, parameter) => {
    const [, defaultCell, meaning] = rows.get(name) ?? [];
    expect(defaultCell, `${name} has a row`).toBeDefined();
    expect(defaultCell).toBe(parameter.Default === '' ? 'empty' : `\`${String(parameter.Default)}\``);
    const row = `${defaultCell} ${meaning}`;
    for (const value of (parameter.AllowedValues as unknown[] | undefined) ?? [])
      expect(row, `${name} allows ${value}`).toMatch(new RegExp(`(?:\`|\\b)${String(value)}(?:\`|\\b)`));
    if (parameter.MinValue !== undefined) expect(row).toContain(`${parameter.MinValue}-${parameter.MaxValue}`);
    if (parameter.MaxLength !== undefined) expect(row).toContain(`at most ${parameter.MaxLength} characters`);
  });
});

describe('docs/configuration.md: options (Transform parameters and Metadata)', () => {
  it('lists exactly the option keys the transform reads', () => {
    expect([...tableRows('## Options: Transform parameters and Metadata').keys()].sort()).toEqual([...allOptionKeys()].sort());
  });
});

describe('docs/upgrading.md', () => {
  it(`names the hand-over format the mirror function reads today (version ${CONTINUATION_VERSION})`, () => {
    expect(readFileSync(join(ROOT, 'docs', 'upgrading.md'), 'utf8')).toContain(`today's format is version ${CONTINUATION_VERSION}`);
  });
});
