import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CfnYamlError } from '../../../src/cli/errors.js';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { stringifyCfnYaml } from '../../../src/cli/cfn-yaml-writer.js';
import type { Json } from '../../../src/template/types.js';

/** Parses `value: <snippet>` and returns what `value` became. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: a module-local helper; the global valueOf is not used here
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

  describe('scalars follow YAML 1.1 as PyYAML reads it (cfn-lint, CloudFormation)', () => {
    it.each([
      ['0755', 493],
      ['084828588479', '084828588479'],
      ['0', 0],
      ['0b101', 5],
      ['0x1F', 31],
      ['1_000', 1000],
      ['1:20', 80],
      ['190:20:30', 685230],
      ['1:20.5', 80.5],
      ['+12', 12],
      ['.5', 0.5],
      ['1.', 1],
      ['1.5e+3', 1500],
      ['1e3', '1e3'],
      ['1.5e3', '1.5e3'],
      ['-.5', '-.5'],
      ['0o17', '0o17'],
      ['yes', true],
      ['Off', false],
      ['ON', true],
      ['y', 'y'],
      ['N', 'N'],
      ['~', null],
      ['NULL', null],
      ['', null],
      ['2010-09-09', '2010-09-09'],
      ['2001-12-14 21:59:43.10 -5', '2001-12-14T21:59:43.100000-05:00'],
      ['2001-12-14T21:59:43Z', '2001-12-14T21:59:43+00:00'],
      ['2001-1-2', '2001-1-2'],
      ["'0755'", '0755'],
      ['"yes"', 'yes'],
      ['! 0755', 493],
      ['!!str 0755', '0755'],
      ['!!int "0x1F"', 31],
    ])('%s', (snippet, expected) => {
      expect(valueOf(snippet)).toEqual(expected);
    });

    it('reads infinity and not-a-number as such', () => {
      expect(valueOf('.inf')).toBe(Infinity);
      expect(valueOf('-.Inf')).toBe(-Infinity);
      expect(valueOf('.NaN')).toBeNaN();
    });

    it('keys as JSON keys the way json.dumps writes Python keys', () => {
      expect(parseCfnYaml('yes: a\n0755: b\n1.5: c\n2010-09-09: d\nName: e\n')).toEqual({ true: 'a', 493: 'b', '1.5': 'c', '2010-09-09': 'd', Name: 'e' });
    });

    it('merges `<<` keys: own keys win, then earlier sources', () => {
      expect(parseCfnYaml('base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nn:\n  <<: [{a: 1}, {a: 2, b: 3}]\n')).toEqual({
        base: { x: 1, y: 2 },
        m: { x: 1, y: 3 },
        n: { a: 1, b: 3 },
      });
    });

    it('takes the last of duplicate keys inside a tagged mapping, as PyYAML does', () => {
      expect(valueOf('!If {b: 1, b: 2}')).toEqual({ 'Fn::If': { b: 2 } });
    });

    it('reads JSON templates too', () => {
      expect(parseCfnYaml('{"Resources": {"A": {"Type": "AWS::S3::Bucket"}}}')).toEqual({ Resources: { A: { Type: 'AWS::S3::Bucket' } } });
    });
  });

  describe('errors', () => {
    it.each([
      ['an unknown !! type', 'a: !!fancy x\n', /Unresolved tag: tag:yaml\.org,2002:fancy.*line 1/s],
      ['a duplicate key', 'a: 1\na: 2\n', /^duplicate key "a" at line 2, column 1 \(first at line 1, column 1\)$/],
      ['keys Python takes for equal', 'yes: 1\ntrue: 2\n', /^duplicate key "true" at line 2/],
      ['a null key', '~: 1\n', /^null key "~" is not allowed at line 1, column 1$/],
      ['a plain = value', 'a: =\n', /^a plain = is not a value in YAML 1\.1 \(PyYAML cannot load it\); quote it: "=" at line 1, column 4$/],
      ['a plain << value', 'a: <<\n', /^a plain << is not a value/],
      ['a list as a key', '? [1]\n: x\n', /mapping key must be a scalar/],
      ['an impossible date', 'a: 2001-02-30\n', /timestamp "2001-02-30" is not a calendar date/],
      ['an integer PyYAML cannot read', 'a: 0x_\n', /"0x_" is not an integer/],
      ['binary data (no JSON form)', 'a: !!binary aGVsbG8=\n', /Unresolved tag: tag:yaml\.org,2002:binary/],
      ['a syntax error', 'a: [1, 2\n', /line/],
      ['two documents', 'a: 1\n---\nb: 2\n', /document/i],
      ['two tags on one node', "a: !ImportValue !Sub '${X}-Vpc'\n", /at most one tag/],
      [
        'a YAML 1.1 line break outside quotes',
        'a: x\u2028y\n',
        /^U\+2028 at line 1, column 5 is a line break in YAML 1\.1, which CloudFormation uses \(YAML 1\.2 readers do not break the line there\): put the value in quotes or remove the character$/,
      ],
      ['NEL even inside quotes (PyYAML folds it into a space)', "a: 'x\u0085y'\n", /^U\+0085 at line 1, column 6 is a line break in YAML 1\.1/],
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

    it('reads any other short tag as Fn::<Name>, as cfn-lint does (CloudFormation then judges the function)', () => {
      expect(valueOf('!Fancy [1, 0755]')).toEqual({ 'Fn::Fancy': [1, 493] });
      expect(valueOf('!GetAtt Role')).toEqual({ 'Fn::GetAtt': ['Role'] });
    });

    it('stops alias expansion bombs', () => {
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 8; i++)
        lines.push(
          `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(96 + i)}`)
            .join(', ')}]`,
        );
      expect(() => parseCfnYaml(lines.join('\n'))).toThrow(/aliases expand to more than 10000 nodes/);
    });

    it('stops merge key bombs', () => {
      const lines = ['a0: &a0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}'];
      for (let i = 1; i < 8; i++)
        lines.push(
          `a${i}: &a${i} {<<: [${Array(10)
            .fill(`*a${i - 1}`)
            .join(', ')}]}`,
        );
      expect(() => parseCfnYaml(lines.join('\n'))).toThrow(/aliases expand to more than 10000 nodes/);
    });
  });
});

describe('Function: stringifyCfnYaml', () => {
  it('writes intrinsics in their short form, parsed back to the same value', () => {
    const template = {
      AWSTemplateFormatVersion: '2010-09-09',
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Code: { ImageUri: { 'Fn::GetAtt': ['ImageMirror1a2b3c4d', 'ImageUri'] } },
            Role: { 'Fn::ImportValue': { 'Fn::Sub': '${Network}-Role' } },
            Timeout: 30,
            Layers: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }]] }],
          },
        },
      },
    };
    const text = stringifyCfnYaml(template);
    expect(text).toContain('ImageUri: !GetAtt ImageMirror1a2b3c4d.ImageUri\n');
    // One node carries at most one tag, so an intrinsic of an intrinsic keeps its long form outside.
    expect(text).toContain('Fn::ImportValue: !Sub ${Network}-Role\n');
    expect(text).toContain('- !Join ["", ["arn:", !Ref AWS::Partition]]\n');
    expect(parseCfnYaml(text)).toEqual(template);
  });

  it('quotes strings a YAML 1.1 reader (CloudFormation, cfn-lint) would read as dates, booleans or numbers', () => {
    const strings = { v: '2010-09-09', a: 'yes', b: 'on', d: '0755', e: '1:20', f: '1_000', g: '128', h: '.5', i: '~', j: '=', k: '0x1F' };
    const text = stringifyCfnYaml(strings);
    for (const value of Object.values(strings)) expect(text).toContain(`"${value}"`);
    // Strings only 1.2 would take for numbers or booleans stay plain: 1.1 reads them as strings.
    expect(stringifyCfnYaml({ n: 'N', y: 'y', e: '1e3', o: '0o17', x: '084828588479' })).toBe('n: N\ny: y\ne: 1e3\no: 0o17\nx: 084828588479\n');
    expect(parseCfnYaml(text)).toEqual(strings);
  });

  it('quotes the string "<<", which written plain is a merge key (or, as a value, a text PyYAML cannot load)', () => {
    const template = { '<<': { a: 1 }, b: '<<', c: ['<<'], d: { 'Fn::Join': ['', ['<<']] } };
    const text = stringifyCfnYaml(template);
    expect(text).toBe('"<<":\n  a: 1\nb: "<<"\nc:\n  - "<<"\nd: !Join ["", ["<<"]]\n');
    expect(parseCfnYaml(text)).toEqual(template);
  });

  it('writes numbers so that they read back as numbers', () => {
    const numbers = { a: 3600, b: 0.5, c: 1e-7, d: 1e21, e: -2 };
    expect(parseCfnYaml(stringifyCfnYaml(numbers))).toEqual(numbers);
  });

  it('writes shared objects in full (no anchors) and long strings on one line', () => {
    const shared = { Ref: 'Image' };
    const long = `${'x'.repeat(150)} ${'y'.repeat(150)}`;
    const text = stringifyCfnYaml({ a: shared, b: shared, long });
    expect(text).not.toMatch(/[&*]/);
    expect(text.split('\n').some((line) => line.includes(long))).toBe(true);
  });

  it('is deterministic and round-trips a real CloudFormation template', () => {
    const template = parseCfnYaml(readFileSync(new URL('../../../examples/sysdig-instrumentation.yaml', import.meta.url), 'utf8')) as Json;
    const text = stringifyCfnYaml(template);
    expect(stringifyCfnYaml(template)).toBe(text);
    expect(parseCfnYaml(text)).toEqual(template);
  });
});
