// Metadata is a small plain-JSON object, carried inside the sealed secret.

const MAX_METADATA_BYTES = 1024;
const MAX_DEPTH = 8;
// Keys that change an object's prototype or constructor when the host merges metadata into another object
// (Object.assign, spread into a class, lodash merge): refused at any depth.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJson(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (value === null) return true;
      if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
      // Own enumerable string keys only; getters, symbols and class instances are not JSON.
      return (
        isPlainObject(value) &&
        Object.getOwnPropertySymbols(value).length === 0 &&
        Object.entries(Object.getOwnPropertyDescriptors(value)).every(
          ([k, d]) =>
            !FORBIDDEN_KEYS.has(k) && 'value' in d && d.enumerable === true && isJson(d.value, depth + 1),
        )
      );
    default:
      return false;
  }
}

/** The serialised metadata if `value` is a JSON object within the size cap, else null. */
export function serializeMetadata(value: unknown): string | null {
  if (!isPlainObject(value) || !isJson(value, 0)) return null;
  const text = JSON.stringify(value);
  return new TextEncoder().encode(text).length <= MAX_METADATA_BYTES ? text : null;
}
