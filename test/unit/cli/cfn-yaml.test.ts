import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CfnYamlError, parseCfnYaml, stringifyCfnYaml } from '../../../src/cli/cfn-yaml.js';

/** Parses `value: <snippet>` and returns what `value` became. */
function valueOf(snippet: string): unknown {
  return (parseCfnYaml(`value: ${snippet}\n`) as { value: unknown }).value;
}

describe('Function: parseCfnYaml', () => {
  describe('short tags become the JSON long form', () => {
    it.each([
      ['!Ref Bucket', { Ref: 'Bucket' }],
      ['!Ref AWS::Region', { Ref: 'AWS::Region' }],
      ["!Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'", { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }],
      ["!Sub ['${Host}:${Port}', {Host: !Ref H, Port: '80'}]", { 'Fn::Sub': ['${Host}:${Port}', { Host: { Ref: 'H' }, Port: '80' }] }],
      ['!GetAtt Role.Arn', { 'Fn::GetAtt': ['Role', 'Arn'] }],
      ['!GetAtt Database.Endpoint.Address', { 'Fn::GetAtt': ['Database', 'Endpoint.Address'] }],
      ['!GetAtt [Role, Arn]', { 'Fn::GetAtt': ['Role', 'Arn'] }],
      ["!Join [':', [a, !Ref B]]", { 'Fn::Join': [':', ['a', { Ref: 'B' }]] }],
      ["!Select [0, !GetAZs '']", { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }],
      ["!Split [',', 'a,b']", { 'Fn::Split': [',', 'a,b'] }],
      ['!If [IsProd, big, !Ref AWS::NoValue]', { 'Fn::If': ['IsProd', 'big', { Ref: 'AWS::NoValue' }] }],
      ['!Equals [!Ref Env, prod]', { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }],
      ['!Not [!Equals [a, b]]', { 'Fn::Not': [{ 'Fn::Equals': ['a', 'b'] }] }],
      ['!And [!Condition A, !Condition B]', { 'Fn::And': [{ Condition: 'A' }, { Condition: 'B' }] }],
      ['!Or [!Condition A, !Equals [x, y]]', { 'Fn::Or': [{ Condition: 'A' }, { 'Fn::Equals': ['x', 'y'] }] }],
      ['!Condition IsProd', { Condition: 'IsProd' }],
      ['!FindInMap [Images, !Ref AWS::Region, Uri]', { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'Uri'] }],
      ['!Base64 "#!/bin/sh"', { 'Fn::Base64': '#!/bin/sh' }],
      ["!Base64 {'Fn::Sub': 'echo ${X}'}", { 'Fn::Base64': { 'Fn::Sub': 'echo ${X}' } }],
      ["!Cidr ['10.0.0.0/16', 6, 5]", { 'Fn::Cidr': ['10.0.0.0/16', 6, 5] }],
      ["!GetAZs ''", { 'Fn::GetAZs': '' }],
      ['!GetAZs {Ref: AWS::Region}', { 'Fn::GetAZs': { Ref: 'AWS::Region' } }],
      ['!ImportValue Shared-VpcId', { 'Fn::ImportValue': 'Shared-VpcId' }],
      ["!ImportValue {'Fn::Sub': '${Network}-VpcId'}", { 'Fn::ImportValue': { 'Fn::Sub': '${Network}-VpcId' } }],
      [
        "!Transform {Name: 'AWS::Include', Parameters: {Location: 's3://bucket/snippet.yaml'}}",
        { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://bucket/snippet.yaml' } } },
      ],
      ['!ToJsonString {key: !Ref V, n: 1}', { 'Fn::ToJsonString': { key: { Ref: 'V' }, n: 1 } }],
      ['!ToJsonString [a, b]', { 'Fn::ToJsonString': ['a', 'b'] }],
      ['!Length [a, b, c]', { 'Fn::Length': ['a', 'b', 'c'] }],
      ['!Length {Ref: Subnets}', { 'Fn::Length': { Ref: 'Subnets' } }],
    ])('%s', (snippet, expected) => {
      expect(valueOf(snippet)).toEqual(expected);
    });

    it('reads tags in block style, nested and on block sequences', () => {
      const text = [
        'Code:',
        '  ImageUri: !If',
        '    - UseMirror',
        '    - !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}"',
        '    - !Ref PublicImage',
      ].join('\n');
      expect(parseCfnYaml(text)).toEqual({
        Code: {
          ImageUri: {
            'Fn::If': ['UseMirror', { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}' }, { Ref: 'PublicImage' }],
          },
        },
      });
    });

    it('resolves anchors and aliases, including on tagged nodes', () => {
      expect(parseCfnYaml("a: &shared !Sub ['${X}', {X: !Ref Y}]\nb: *shared\n")).toEqual({
        a: { 'Fn::Sub': ['${X}', { X: { Ref: 'Y' } }] },
        b: { 'Fn::Sub': ['${X}', { X: { Ref: 'Y' } }] },
      });
    });
  });

  describe('scalars follow the YAML 1.2 core schema', () => {
    it('keeps dates, yes/no/on/off and octal-looking values as strings', () => {
      expect(parseCfnYaml('AWSTemplateFormatVersion: 2010-09-09\nVersion: 2012-10-17\na: yes\nb: off\nc: 0777\nd: 1:20\n')).toEqual({
        AWSTemplateFormatVersion: '2010-09-09',
        Version: '2012-10-17',
        a: 'yes',
        b: 'off',
        c: 777,
        d: '1:20',
      });
    });

    it('reads numbers, booleans and null as such', () => {
      expect(parseCfnYaml('n: 128\nf: 0.5\nt: true\nz: null\ns: "128"\n')).toEqual({ n: 128, f: 0.5, t: true, z: null, s: '128' });
    });

    it('reads JSON templates too', () => {
      expect(parseCfnYaml('{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}')).toEqual({ Resources: { A: { Type: 'AWS::S3::Bucket' } } });
    });
  });

  describe('errors', () => {
    it.each([
      ['an unknown tag', 'a: !Fancy x\n', /Unresolved tag: !Fancy.*line 1/s],
      ['a duplicate key', 'a: 1\na: 2\n', /unique/i],
      ['a syntax error', 'a: [1, 2\n', /line/],
      ['two documents', 'a: 1\n---\nb: 2\n', /document/i],
      ['two tags on one node', "a: !ImportValue !Sub '${X}-Vpc'\n", /at most one tag/],
      ['!GetAtt without an attribute', 'a: !GetAtt Role\n', /LogicalId\.Attribute/],
    ])('rejects %s with a CfnYamlError', (_case, text, message) => {
      let caught: unknown;
      try {
        parseCfnYaml(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CfnYamlError);
      expect((caught as CfnYamlError).name).toBe('CfnYamlError');
      expect((caught as Error).message).toMatch(message);
    });

    it('stops alias expansion bombs', () => {
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
      expect(() => parseCfnYaml(lines.join('\n'))).toThrow(CfnYamlError);
    });
  });
});

describe('Function: stringifyCfnYaml', () => {
  it('writes the long form, parsed back to the same value', () => {
    const template = {
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Code: { ImageUri: { 'Fn::GetAtt': ['ImageMirror1a2b3c4d', 'ImageUri'] } }, Timeout: 30 },
        },
      },
    };
    const text = stringifyCfnYaml(template);
    expect(text).toContain('Fn::GetAtt:');
    expect(text).not.toContain('!');
    expect(parseCfnYaml(text)).toEqual(template);
  });

  it('quotes strings a YAML 1.1 reader (CloudFormation, cfn-lint) would read as dates, booleans or numbers', () => {
    const text = stringifyCfnYaml({ v: '2010-09-09', a: 'yes', b: 'on', c: 'N', d: '0777', e: '1:20', f: '1_000', g: '128' });
    for (const value of ['2010-09-09', 'yes', 'on', 'N', '0777', '1:20', '1_000', '128']) expect(text).toContain(`"${value}"`);
    expect(parseCfnYaml(text)).toEqual({ v: '2010-09-09', a: 'yes', b: 'on', c: 'N', d: '0777', e: '1:20', f: '1_000', g: '128' });
  });

  it('writes shared objects in full (no anchors) and long strings on one line', () => {
    const shared = { Ref: 'Image' };
    const long = `${'x'.repeat(150)} ${'y'.repeat(150)}`;
    const text = stringifyCfnYaml({ a: shared, b: shared, long });
    expect(text).not.toMatch(/[&*]/);
    expect(text.split('\n').some((line) => line.includes(long))).toBe(true);
  });

  it('is deterministic and round-trips a real CloudFormation template', () => {
    const template = parseCfnYaml(readFileSync(new URL('../../../examples/sysdig-instrumentation.yaml', import.meta.url), 'utf8'));
    const text = stringifyCfnYaml(template);
    expect(stringifyCfnYaml(template)).toBe(text);
    expect(parseCfnYaml(text)).toEqual(template);
  });
});
