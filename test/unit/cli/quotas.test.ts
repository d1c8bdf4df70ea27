// The CLI and CloudFormation's quotas: exit 1 when the output breaks one, a note when it is too big to pass inline.
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

function templateJson(functions: number, images: number, padding = 0): string {
  const resources: Record<string, unknown> = {};
  for (let i = 0; i < functions; i += 1) {
    resources[`Fn${i}`] = {
      Type: 'AWS::Lambda::Function',
      Properties: { PackageType: 'Image', Role: 'arn:aws:iam::123456789012:role/r', Code: { ImageUri: `quay.io/org/app${i % images}:1` } },
    };
  }
  if (padding > 0) resources.Pad = { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x'.repeat(padding) } };
  return JSON.stringify({ Resources: resources });
}

describe('CLI: CloudFormation quotas', () => {
  it('exits 1 for 500 functions over 90 images (590 resources), naming the quota (before: exit 0 and a template CloudFormation refuses)', async () => {
    const { code, stdout, stderr } = await runCli(['transform', '-', '--region', 'eu-west-1'], { stdin: templateJson(500, 90) });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain("the transformed template has 590 resources, 90 over CloudFormation's quota of 500 resources per template");
  });

  it('notes a result over the 51,200 bytes CloudFormation takes inline', async () => {
    const { code, stdout, stderr } = await runCli(['transform', '-', '--region', 'eu-west-1'], { stdin: templateJson(1, 1, 60_000) });
    expect(code).toBe(0);
    expect(Buffer.byteLength(stdout)).toBeGreaterThan(51_200);
    expect(stderr).toMatch(/note: the written template is [\d,]+ bytes, over the 51,200 bytes CloudFormation takes inline \(--template-body\); deploy it from S3/);
  });

  it('says nothing about size for a small result', async () => {
    const { code, stderr } = await runCli(['transform', '-', '--region', 'eu-west-1'], { stdin: templateJson(1, 1) });
    expect(code).toBe(0);
    expect(stderr).not.toContain('bytes');
  });
});
