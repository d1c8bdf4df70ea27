// Gating for tests that need machine tools (Debian packages, Python modules).
// On a laptop a missing tool skips the suite with a printed reason; under CI=true it is a failure.
import { spawnSync } from 'node:child_process';

export const inCi = process.env.CI === 'true';

export interface ToolCheck {
  name: string;
  /** argv that exits 0 when the tool is usable */
  probe: string[];
  install: string;
}

export const TOOLS = {
  registry: { name: 'docker-registry', probe: ['docker-registry', '--version'], install: 'apt-get install -y docker-registry' },
  skopeo: { name: 'skopeo', probe: ['skopeo', '--version'], install: 'apt-get install -y skopeo' },
  htpasswd: { name: 'htpasswd', probe: ['sh', '-c', 'command -v htpasswd'], install: 'apt-get install -y apache2-utils' },
  cfnLint: { name: 'cfn-lint', probe: ['cfn-lint', '--version'], install: 'pip install cfn-lint' },
  moto: { name: 'moto_server', probe: ['sh', '-c', 'command -v moto_server'], install: "pip install 'moto[server]'" },
  samTranslator: {
    name: 'samtranslator',
    probe: ['python3', '-c', 'import samtranslator'],
    install: 'pip install aws-sam-translator',
  },
  awsCli: { name: 'aws', probe: ['aws', '--version'], install: 'pip install awscli' },
  jq: { name: 'jq', probe: ['jq', '--version'], install: 'apt-get install -y jq' },
} satisfies Record<string, ToolCheck>;

const cache = new Map<string, boolean>();

function available(tool: ToolCheck): boolean {
  const hit = cache.get(tool.name);
  if (hit !== undefined) return hit;
  const [cmd, ...args] = tool.probe;
  const ok = spawnSync(cmd!, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  cache.set(tool.name, ok);
  return ok;
}

/**
 * Returns the names of missing tools. Under CI=true a missing tool throws, so the suite fails
 * instead of silently skipping; elsewhere the reason is printed once and the caller skips.
 */
export function missingTools(...tools: ToolCheck[]): string[] {
  const missing = tools.filter((t) => !available(t));
  if (missing.length === 0) return [];
  const reason = missing.map((t) => `${t.name} (install: ${t.install})`).join(', ');
  if (inCi) throw new Error(`CI=true but required tools are missing: ${reason}`);
  console.warn(`[skip] missing tools: ${reason}`);
  return missing.map((t) => t.name);
}

/** `describe.skipIf(!haveTools(...))` style helper. */
export function haveTools(...tools: ToolCheck[]): boolean {
  return missingTools(...tools).length === 0;
}
