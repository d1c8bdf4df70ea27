// Small helpers for reading untrusted JSON safely and building new JSON without touching the input.
// Lookups go through own properties only: a template may name a parameter "constructor" or a key
// "__proto__", and neither may reach Object.prototype.
import { canonicalJson, isPlainObject } from '../values.js';
import type { Json, JsonObject } from './types.js';

/** isPlainObject, for template JSON. */
export function isJsonObject(value: unknown): value is JsonObject {
  return isPlainObject(value);
}

/** The own property `key` of `object`, or undefined (never an inherited member). */
export function getOwn(object: unknown, key: string): Json | undefined {
  if (!isJsonObject(object) || !Object.hasOwn(object, key)) return undefined;
  return object[key];
}

export function hasOwn(object: unknown, key: string): boolean {
  return isJsonObject(object) && Object.hasOwn(object, key);
}

/** Sets an own, enumerable property; a "__proto__" key stays data instead of replacing the prototype. */
export function setOwn(object: JsonObject, key: string, value: Json): void {
  // Assignment creates an own data property for every key but "__proto__", the one accessor that
  // Object.prototype has; defineProperty (much slower) is kept for that key alone.
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/**
 * A new object with the same own keys and values, in the same order; values are shared, not copied.
 * Object spread defines properties (it never calls the "__proto__" setter), so it is prototype-safe.
 */
export function copyObject(object: JsonObject): JsonObject {
  return { ...object };
}

/** A deep copy sharing nothing with `value`; key order is kept. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isJsonObject(value)) {
    const copy: JsonObject = {};
    for (const key of Object.keys(value)) setOwn(copy, key, cloneJson(value[key]) as Json);
    return copy as T;
  }
  return value;
}

export function jsonEquals(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Compact JSON of an expression, for reports and messages (the user's key order is kept). */
export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * `[name, argument]` when `value` is an intrinsic function call: an object with exactly one key that
 * is `Ref` or starts with `Fn::`. `Condition` counts only inside condition functions (see resolve.ts).
 */
export function intrinsicOf(value: unknown): readonly [string, Json] | undefined {
  if (!isJsonObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  if (name !== 'Ref' && !name.startsWith('Fn::')) return undefined;
  return [name, value[name] as Json];
}
