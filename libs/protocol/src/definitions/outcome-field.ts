/**
 * One value a step records (an assessment item, a monitoring-form field, a vital sign): type, unit, range,
 * required. Protocol definitions describe their instruments and forms with it; the vital signs' plausibility
 * bounds (areas/dosing/dosing.schemas.ts) use the same shape. It imports nothing, so the command schemas can
 * use it without depending on the definition format.
 */
export type OutcomeField = {
  name: string;
  label: string;
  type: 'integer' | 'number' | 'boolean' | 'enum' | 'text' | 'datetime';
  required: boolean;
  unit?: string;
  min?: number;
  max?: number;
  /** Allowed values of an `enum` field. */
  options?: readonly string[];
  /** LOINC code of this value (e.g. a total score), with its check digit: `101698-9`. */
  loinc?: string;
};
