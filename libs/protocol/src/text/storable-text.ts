/**
 * Text the clinical record can keep. PostgreSQL `jsonb` refuses U+0000 and JSON text holding a lone
 * UTF-16 surrogate (half of a character that was cut in two): a command carrying either would be
 * accepted by the decider and then refused by the store, jamming its course. Such text is refused
 * where it enters (API bodies, query strings, inbound webhooks) and again by the workflow's validator.
 */

// U+0000, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deepest nesting of objects and arrays accepted in a request (a command body needs 4). */
export const MAX_JSON_DEPTH = 32;

export type TextProblem = { field: string; message: string };

export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text);

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/**
 * The first place in a JSON value (keys included) that the record cannot store, or that is nested
 * deeper than {@link MAX_JSON_DEPTH}; null when everything can be stored. `field` is the path,
 * e.g. `data.reason`, never the offending text.
 */
export const findUnstorableText = (value: unknown, path = '', depth = 0): TextProblem | null => {
  if (typeof value === 'string') {
    return isStorableText(value) ? null : { field: path || '(body)', message: 'contains a character that cannot be stored (U+0000 or a broken surrogate pair)' };
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_JSON_DEPTH) return { field: path || '(body)', message: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findUnstorableText(value[i], join(path, i), depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  for (const [key, child] of Object.entries(value)) {
    if (!isStorableText(key)) return { field: join(path, '(a key)'), message: 'has a key with a character that cannot be stored' };
    const problem = findUnstorableText(child, join(path, key), depth + 1);
    if (problem) return problem;
  }
  return null;
};
