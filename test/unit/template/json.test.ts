// Reading untrusted template JSON through own properties only, and building JSON that shares nothing with its input.
import { describe, expect, it } from 'vitest';
import { cloneJson, compactJson, copyObject, getOwn, hasOwn, intrinsicOf, isJsonObject, jsonEquals, setOwn } from '../../../src/template/json.js';
import type { Json, JsonObject } from '../../../src/template/types.js';

const PROTO_KEY = '{"__proto__": {"polluted": true}, "b": [1]}';

describe('Module: template/json', () => {
  it('reads own properties only, of objects only', () => {
    const object = { a: 1, n: null };
    expect(getOwn(object, 'a')).toBe(1);
    expect(getOwn(object, 'n')).toBeNull();
    expect(hasOwn(object, 'n')).toBe(true);
    for (const key of ['toString', 'constructor', '__proto__', 'missing']) {
      expect(getOwn(object, key)).toBeUndefined();
      expect(hasOwn(object, key)).toBe(false);
    }
    for (const notObject of [['a'], 'a', null, undefined, 1]) {
      expect(getOwn(notObject, '0')).toBeUndefined();
      expect(hasOwn(notObject, '0')).toBe(false);
      expect(isJsonObject(notObject)).toBe(false);
    }
  });

  it('sets "__proto__" as the own data property JSON.parse makes, replaceable, without touching the prototype', () => {
    const parsed = JSON.parse(PROTO_KEY) as JsonObject;
    const built: JsonObject = {};
    setOwn(built, '__proto__', 'first');
    setOwn(built, '__proto__', { polluted: true });
    setOwn(built, 'b', [1]);
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(built, '__proto__')).toEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__'));
    expect(jsonEquals(built, parsed)).toBe(true);
    expect(({} as JsonObject).polluted).toBeUndefined();
  });

  it('copies deeply, in key order, sharing nothing and keeping "__proto__" as data', () => {
    const input = JSON.parse(PROTO_KEY) as JsonObject;
    const copy = cloneJson(input);
    expect(Object.keys(copy)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.b).toEqual([1]);
    expect(copy.b).not.toBe(input.b);
    expect(getOwn(copy, '__proto__')).toEqual({ polluted: true });
    expect(getOwn(copy, '__proto__')).not.toBe(getOwn(input, '__proto__'));
    expect(cloneJson([{ a: [null, 'x', 2, false] }])).toEqual([{ a: [null, 'x', 2, false] }]);
  });

  it('copies one level, sharing the values', () => {
    const input = JSON.parse(PROTO_KEY) as JsonObject;
    const copy = copyObject(input);
    expect(copy).not.toBe(input);
    expect(Object.keys(copy)).toEqual(['__proto__', 'b']);
    expect(copy.b).toBe(input.b);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it('compares JSON whatever the key order', () => {
    expect(jsonEquals({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: '1' })).toBe(false);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
  });

  it('writes compact JSON in the user key order, and undefined as a word', () => {
    expect(compactJson({ b: 1, a: ['x'] })).toBe('{"b":1,"a":["x"]}');
    expect(compactJson(undefined)).toBe('undefined');
  });

  it.each<[string, Json, readonly [string, Json] | undefined]>([
    ['Ref', { Ref: 'X' }, ['Ref', 'X']],
    ['an Fn:: function', { 'Fn::Anything': [1] }, ['Fn::Anything', [1]]],
    ['Condition (an intrinsic only inside conditions)', { Condition: 'C' }, undefined],
    ['a key that only starts like Fn', { 'Fn:Sub': 'x' }, undefined],
    ['two keys', { Ref: 'X', Other: 1 }, undefined],
    ['no key', {}, undefined],
    ['a list', [{ Ref: 'X' }], undefined],
    ['a string', 'Ref', undefined],
  ])('reads an intrinsic call: %s', (_case, value, expected) => {
    expect(intrinsicOf(value)).toEqual(expected);
  });
});
