/** Fields whose values are clinical or personal and never belong in a log line. */
export const SENSITIVE_FIELDS = [
  'patientRef', 'evidence', 'values', 'description', 'note', 'reason', 'contactRef', 'escortRef', 'lotNumber', 'amountMg',
  'printedName', 'name', 'data', 'authorization', 'token', 'password', 'secret', 'key',
];

const PATTERNS: [RegExp, string][] = [
  // JWTs and bearer credentials.
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-token]'],
  [/(Bearer\s+)[^\s"',]+/gi, '$1[redacted]'],
  // Key material.
  [/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '[redacted-key]'],
  // `"field": value` of a sensitive field inside serialised JSON.
  [new RegExp(`("(?:${SENSITIVE_FIELDS.join('|')})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[-\\d.eE+]+|true|false|\\{[^{}]*\\}|\\[[^\\[\\]]*\\])`, 'g'), '$1"[redacted]"'],
  // Database URLs with a password.
  [/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/g, '$1[redacted]@'],
];

const MAX_LENGTH = 2000;

/** Removes credentials, key material and clinical field values from a log message. */
export const redactText = (text: string): string => {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH)}…[truncated]` : out;
};

/** Deep copy of a value with sensitive fields replaced, for structured log fields. */
export const redactValue = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object' || depth > 5) return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactValue(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SENSITIVE_FIELDS.includes(k) ? '[redacted]' : redactValue(v, depth + 1)]),
  );
};
