import type { OutcomeValues } from '../../command';
import type { OutcomeField } from '../../definitions/outcome-field';
import type { AssessmentPoint, ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject, type Rejection } from '../../rejection';
import type { CourseState } from '../../state';
import { addHours, isBefore } from '../../time';
import { windowRejection } from '../../window';
import { baselineAssessment } from '../screening/screening.rules';
import { sessionState } from '../visits';

/*
 * The outcome rules, shared by `decide` and `availableSteps`: whether values fit an instrument or form,
 * and when an assessment point is due, recorded or missed.
 */

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

// ---------------------------------------------------------------- assessment points

export const pointRecorded = (state: CourseState, point: AssessmentPoint): boolean =>
  state.assessments.some((a) => a.timepoint === point.key);

/** Window of an assessment point, once its anchor (baseline or a visit start) exists. */
export const pointWindow = (
  def: ProtocolDefinition,
  state: CourseState,
  point: AssessmentPoint,
): { earliest: string; latest: string } | null => {
  if (!point.window) return null;
  const anchor =
    point.window.from === 'baseline' ? baselineAssessment(def, state)?.recordedAt : sessionState(state, point.window.from)?.startedAt;
  if (!anchor) return null;
  return { earliest: addHours(anchor, point.window.minHours), latest: addHours(anchor, point.window.maxHours) };
};

/** Can assessment point `point` be recorded at `at`? */
export const pointRejection = (def: ProtocolDefinition, state: CourseState, point: AssessmentPoint, at: string): Rejection | null => {
  if (pointRecorded(state, point)) {
    return reject('STEP_ALREADY_RECORDED', `The ${point.label} is already recorded; correct it instead.`);
  }
  if (sessionState(state, point.after)?.status !== 'completed') {
    return reject('STEP_OUT_OF_ORDER', `The ${point.label} is due only after an earlier visit is completed.`, { missing: point.after });
  }
  return windowRejection(pointWindow(def, state, point), at, `the ${point.label}`);
};

/** Points whose window has closed without a record: reported at completion, never hidden. */
export const missedPoints = (def: ProtocolDefinition, state: CourseState, at: string): AssessmentPoint[] =>
  def.assessmentPoints.filter((p) => {
    const window = pointWindow(def, state, p);
    return !pointRecorded(state, p) && window !== null && isBefore(window.latest, at);
  });
