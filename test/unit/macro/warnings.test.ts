import { describe, expect, it } from 'vitest';
import { createMacroHandler } from '../../../src/macro/handler.js';
import { MACRO_ENV, macroEvent, recordingLog, templateWith } from './fixtures.js';

// A task definition whose execution role (in the template) cannot pull from ECR: the transform succeeds with a warning.
const template = templateWith(
  {
    Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
    Task: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { ExecutionRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, ContainerDefinitions: [{ Name: 'a', Image: 'quay.io/org/app:1' }] },
    },
  },
  { Metadata: { SysdigImageFix: { Ecs: true } } },
);

describe('Function: macro handler, transform warnings', () => {
  it('answers success and logs the warnings once, at warn level, with the requestId', async () => {
    const log = recordingLog();
    const response = await createMacroHandler({ env: () => MACRO_ENV, log })(macroEvent(template));
    expect(response.status).toBe('success');
    expect(log.entries.map((entry) => entry.level)).toEqual(['warn', 'info']);
    const [warn] = log.entries;
    expect(warn!.message).toBe('transform warnings');
    expect(warn!.attributes).toMatchObject({ requestId: 'req-0b6e1c2f', warnings: [{ logicalId: 'Task', message: expect.stringContaining('execution role Role') }] });
  });

  it('logs no warn line when there is nothing to warn about', async () => {
    const log = recordingLog();
    await createMacroHandler({ env: () => MACRO_ENV, log })(macroEvent(templateWith({})));
    expect(log.entries.map((entry) => entry.level)).toEqual(['info']);
  });
});
