// With CopyEngine at its default, the macro writes what it wrote before the second engine existed (issue 19). The
// macro's own inputs hold no engine setting (the stack passes CopyEngine and MirrorMemorySize to the mirror function
// only), and its answers for the bundled examples equal the golden file, recorded by running this file with
// SYSDIG_WRITE_GOLDEN=1 on 6bc2332 (main just before the engine merge). Review a re-recording by reading the diff.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { createMacroHandler } from '../../../src/macro/handler.js';
import type { JsonObject } from '../../../src/template/types.js';
import { MACRO_ENV, macroEvent, recordingLog } from './fixtures.js';

const ROOT = new URL('../../../', import.meta.url);
const GOLDEN = new URL('./default-engine-output.golden.json', import.meta.url).pathname;
const EXAMPLES = readdirSync(new URL('examples/', ROOT))
  .filter((file) => file.endsWith('.yaml'))
  .sort();

async function answers(): Promise<Record<string, unknown>> {
  const recorded: Record<string, unknown> = {};
  for (const file of EXAMPLES) {
    const fragment = parseCfnYaml(readFileSync(new URL(`examples/${file}`, ROOT), 'utf8'));
    const invoke = createMacroHandler({ env: () => MACRO_ENV, log: recordingLog() });
    recorded[file] = await invoke(macroEvent(fragment));
  }
  return recorded;
}

describe('The macro with CopyEngine at its default', () => {
  it('is given no engine setting by the macro stack: CopyEngine and MirrorMemorySize reach the mirror function only', () => {
    const stack = parseCfnYaml(readFileSync(new URL('template.yaml', ROOT), 'utf8')) as JsonObject;
    const resources = stack.Resources as Record<string, JsonObject>;
    const uses = (name: string) =>
      Object.entries(resources)
        .filter(([, resource]) => JSON.stringify(resource).includes(`"${name}"`))
        .map(([id]) => id);
    expect((stack.Parameters as Record<string, JsonObject>).CopyEngine?.Default).toBe('codebuild');
    expect(uses('CopyEngine')).toEqual(['MirrorFunction']);
    expect(uses('MirrorMemorySize')).toEqual(['MirrorFunction']);
    expect(uses('CopiesInFunction')).not.toContain('MacroFunction');
    expect(JSON.stringify(resources.MacroFunction)).not.toMatch(/COPY_ENGINE|CopyEngine|MirrorMemorySize/);
  });

  it('answers for every bundled example exactly as before the engine existed', async () => {
    const now = await answers();
    if (process.env.SYSDIG_WRITE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(now, null, 2)}\n`);
    expect(existsSync(GOLDEN), 'record the golden file first (see the comment at the top)').toBe(true);
    expect(Object.keys(now)).toEqual(EXAMPLES);
    expect(now).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });
});
