// Synthetic templates for benchmarks: N image functions with the mix of sources the macro meets in
// practice (Quay, Docker Hub short names, other- and same-region ECR, parameters, Sub, If,
// FindInMap, values known only at deploy time), duplicates, conditions, DependsOn (which their mirrors
// must follow), SAM functions and bulk (roles, environment variables, tags) around them.
// Deterministic: same N, same template.
import type { Json, JsonObject } from '../src/template/types.js';

export const BENCH_REGION = 'ap-northeast-1';
export const BENCH_ACCOUNT = '123456789012';

const PARAMETER_IMAGES = [
  'quay.io/sysdig/serverless-patcher:5.0.1',
  'ghcr.io/acme/ingest:3.2.1',
  'amazon/aws-lambda-nodejs:20',
  '518078317392.dkr.ecr.eu-west-1.amazonaws.com/compose-x-macro:nightly',
  `${BENCH_ACCOUNT}.dkr.ecr.${BENCH_REGION}.amazonaws.com/team/shared:7`,
];

/** The image expression of function `i`: ten kinds of source, repeating so images recur. */
function imageOf(i: number): Json {
  switch (i % 10) {
    case 0:
      return `quay.io/acme/svc-${i % 37}:1.${i % 5}.0`;
    case 1:
      return `python:3.${10 + (i % 3)}`;
    case 2:
      return `acme/worker:${i % 11}`;
    case 3:
      return `210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/svc-${i % 23}:v${i % 4}`;
    case 4:
      return { 'Fn::Sub': `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/team/app-${i}:1` };
    case 5:
      return { Ref: `ImageParam${i % PARAMETER_IMAGES.length}` };
    case 6:
      return { 'Fn::Sub': `ghcr.io/acme/tool-${i % 13}:\${Tag}` };
    case 7:
      return { 'Fn::If': ['IsProd', `quay.io/acme/prod-${i % 7}:1`, `acme/dev-${i % 7}:latest`] };
    case 8:
      return { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'Uri'] };
    default:
      return { Ref: 'RuntimeImage' };
  }
}

function environment(i: number): JsonObject {
  return {
    Variables: {
      SERVICE: `svc-${i}`,
      LOG_LEVEL: 'info',
      TABLE: { Ref: `Table${Math.floor(i / 10)}` },
      QUEUE_URL: { 'Fn::Sub': `https://sqs.\${AWS::Region}.amazonaws.com/\${AWS::AccountId}/queue-${i}` },
      // An image string that is not an image site: must be left alone, and costs a look.
      SIDECAR_IMAGE: 'quay.io/acme/sidecar:1.0.0',
    },
  };
}

function imageFunction(i: number): JsonObject {
  const sam = i % 5 === 4;
  const common: JsonObject = {
    Description: `Synthetic function ${i}`,
    MemorySize: 256 + (i % 4) * 256,
    Timeout: 30,
    Environment: environment(i),
    Tags: sam
      ? { team: 'bench', index: String(i) }
      : [
          { Key: 'team', Value: 'bench' },
          { Key: 'index', Value: String(i) },
        ],
  };
  const architectures: JsonObject = !sam && i % 4 === 0 ? { Architectures: ['arm64'] } : {};
  const resource: JsonObject = sam
    ? { Type: 'AWS::Serverless::Function', Properties: { PackageType: 'Image', ImageUri: imageOf(i), ...common } }
    : {
        Type: 'AWS::Lambda::Function',
        Properties: {
          PackageType: 'Image',
          Role: { 'Fn::GetAtt': [`Role${Math.floor(i / 10)}`, 'Arn'] },
          Code: { ImageUri: imageOf(i) },
          ...architectures,
          ...common,
        },
      };
  if (i % 3 === 0) resource.Condition = 'IsProd';
  // A tenth wait for their table (a mirrored ECR image: its mirror waits for the table too).
  if (i % 10 === 3) resource.DependsOn = `Table${Math.floor(i / 10)}`;
  return resource;
}

function role(group: number): JsonObject {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }],
      Policies: [
        {
          PolicyName: `table-${group}`,
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: { 'Fn::GetAtt': [`Table${group}`, 'Arn'] } }],
          },
        },
      ],
    },
  };
}

function table(): JsonObject {
  return {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    },
  };
}

/** A macro fragment (no Transform section) with `functions` image functions. */
export function syntheticTemplate(functions: number): JsonObject {
  const resources: JsonObject = {};
  for (let group = 0; group * 10 < functions; group++) {
    resources[`Role${group}`] = role(group);
    resources[`Table${group}`] = table();
  }
  for (let i = 0; i < functions; i++) resources[`Function${i}`] = imageFunction(i);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Synthetic template with ${functions} image functions`,
    Parameters: {
      Stage: { Type: 'String', Default: 'prod', AllowedValues: ['prod', 'dev'] },
      Tag: { Type: 'String', Default: '2.1.0' },
      RuntimeImage: { Type: 'String' },
      ...Object.fromEntries(PARAMETER_IMAGES.map((image, index) => [`ImageParam${index}`, { Type: 'String', Default: image }])),
    },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
    Mappings: {
      Images: {
        [BENCH_REGION]: { Uri: 'public.ecr.aws/lambda/python:3.12' },
        'eu-west-1': { Uri: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/regional:1' },
      },
    },
    Globals: { Function: { Architectures: ['arm64'] } },
    Resources: resources,
  };
}

/** The parameter values CloudFormation would pass for the synthetic template (Defaults; RuntimeImage unknown). */
export function syntheticParameterValues(template: JsonObject): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const [name, declaration] of Object.entries(template.Parameters as Record<string, JsonObject>)) {
    if (declaration.Default !== undefined) values[name] = declaration.Default;
  }
  return values;
}
