// Texts at the edges of reading YAML (anchors, aliases, YAML 1.1 line breaks) with cfn-lint's reading of each,
// recorded in test/fixtures/yaml-reading-edges.json: test/unit/cli/yaml-read-edges.test.ts holds the CLI to them,
// test/integration/yaml-reading-edges.test.ts holds the recording to cfn-lint.
import { readFileSync } from 'node:fs';
import type { OracleReading } from './cfn-yaml-oracle.js';

export interface ReadingEdge {
  readonly about: string;
  readonly text: string;
  readonly cfnLint: OracleReading;
  /** Set where the CLI refuses a text cfn-lint reads, with the reason. */
  readonly cli?: string;
}

export const READING_EDGES: readonly ReadingEdge[] = JSON.parse(readFileSync(new URL('../fixtures/yaml-reading-edges.json', import.meta.url), 'utf8'));
