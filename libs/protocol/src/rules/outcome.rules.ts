import type { OutcomeValues } from '../command';
import type { OutcomeField, VitalThresholds } from '../definitions/protocol-definition';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/;

/** One problem per field: unknown, missing, wrong type or out of range. Empty when the values fit. */
export const outcomeProblems = (
  fields: readonly OutcomeField[],
  values: OutcomeValues,
  { partial = false }: { partial?: boolean } = {},
): { field: string; problem: string }[] => {
  const problems: { field: string; problem: string }[] = [];
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) problems.push({ field: name, problem: 'is not recorded by this step' });
  }
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) {
      if (field.required && !partial) problems.push({ field: field.name, problem: 'is required' });
      continue;
    }
    const problem = fieldProblem(field, value);
    if (problem) problems.push({ field: field.name, problem });
  }
  return problems;
};

const fieldProblem = (field: OutcomeField, value: string | number | boolean): string | null => {
  switch (field.type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (field.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
      const unit = field.unit ? ` ${field.unit}` : '';
      if (field.min !== undefined && value < field.min) return `must be at least ${field.min}${unit}`;
      if (field.max !== undefined && value > field.max) return `must be at most ${field.max}${unit}`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return typeof value === 'string' && (field.options ?? []).includes(value)
        ? null
        : `must be one of ${(field.options ?? []).join(', ')}`;
    case 'text':
      return typeof value === 'string' && value.trim() !== '' ? null : 'must be a non-empty text';
    case 'datetime':
      return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value))
        ? null
        : 'must be a UTC date-time';
  }
};

/** A reading's values, as the thresholds name them. */
export type VitalValues = { systolic: number; diastolic: number; heartRate: number; temperatureC: number | null };

/** Which limits a reading exceeds, as short clinical phrases (no personal data). Empty when within limits. */
export const vitalBreaches = (reading: VitalValues, limits: VitalThresholds | undefined): string[] => {
  if (!limits) return [];
  const breaches: string[] = [];
  if (limits.systolicAbove !== undefined && reading.systolic > limits.systolicAbove) {
    breaches.push(`systolic pressure above ${limits.systolicAbove} mmHg`);
  }
  if (limits.diastolicAbove !== undefined && reading.diastolic > limits.diastolicAbove) {
    breaches.push(`diastolic pressure above ${limits.diastolicAbove} mmHg`);
  }
  if (limits.heartRateAbove !== undefined && reading.heartRate > limits.heartRateAbove) {
    breaches.push(`heart rate above ${limits.heartRateAbove} bpm`);
  }
  if (limits.temperatureCAbove !== undefined && reading.temperatureC !== null && reading.temperatureC > limits.temperatureCAbove) {
    breaches.push(`temperature above ${limits.temperatureCAbove} °C`);
  }
  return breaches;
};
