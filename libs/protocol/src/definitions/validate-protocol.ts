import { STAFF_ROLES } from '../actor';
import {
  GATES,
  REPORTERS,
  SCREENING_STEPS,
  SESSION_KINDS,
  SIGNATURE_MEANINGS,
  type ProtocolDefinition,
} from './protocol-definition';
import type { OutcomeField } from './outcome-field';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A LOINC code: up to 7 digits, a hyphen and the mod-10 (Luhn) check digit LOINC publishes with it. */
export const isLoincCode = (code: string): boolean => {
  const match = /^(\d{1,7})-(\d)$/.exec(code);
  if (!match) return false;
  const sum = [...match[1]!].reverse().reduce((total, digit, i) => {
    const value = i % 2 === 0 ? Number(digit) * 2 : Number(digit);
    return total + (value > 9 ? value - 9 : value);
  }, 0);
  return (10 - (sum % 10)) % 10 === Number(match[2]);
};

const fieldFaults = (where: string, fields: readonly OutcomeField[]): string[] => {
  const faults: string[] = [];
  const names = new Set<string>();
  for (const f of fields) {
    if (names.has(f.name)) faults.push(`${where}: field "${f.name}" is defined twice`);
    names.add(f.name);
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) faults.push(`${where}: field "${f.name}" has min above max`);
    if (f.type === 'enum' && (!f.options || f.options.length === 0)) faults.push(`${where}: enum field "${f.name}" has no options`);
    if ((f.min !== undefined || f.max !== undefined) && f.type !== 'integer' && f.type !== 'number') {
      faults.push(`${where}: field "${f.name}" has a range but is not numeric`);
    }
    if (f.loinc !== undefined && !isLoincCode(f.loinc)) faults.push(`${where}: field "${f.name}" has an invalid LOINC code "${f.loinc}"`);
  }
  return faults;
};

const duplicates = (values: readonly string[]): string[] => values.filter((v, i) => values.indexOf(v) !== i);

/**
 * Checks a protocol definition before the engine may use it. Returns one clear sentence per fault; an
 * empty list means the definition is usable. The registry refuses to load a definition with faults.
 */
export const validateProtocolDefinition = (def: ProtocolDefinition): string[] => {
  const faults: string[] = [];
  const fault = (message: string) => faults.push(message);

  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(def.id)) fault(`id "${def.id}" must be kebab-case`);
  if (!Number.isInteger(def.version) || def.version < 1) fault('version must be a positive whole number');
  if (def.title.trim() === '') fault('title must not be empty');
  if (!(def.notifications.reminderLeadHours >= 0)) fault('notifications.reminderLeadHours must be zero or more');
  if (!(def.notifications.escalateAfterHours > 0)) fault('notifications.escalateAfterHours must be more than zero');
  if (def.screening.eligibilityValidDays !== undefined && !(def.screening.eligibilityValidDays > 0)) {
    fault('screening.eligibilityValidDays must be more than zero');
  }

  // ---- roles and signatures
  for (const [command, roles] of Object.entries(def.permissions)) {
    for (const role of roles ?? []) {
      if (!(STAFF_ROLES as readonly string[]).includes(role)) fault(`permissions.${command}: unknown role "${role}"`);
    }
  }
  if (!def.permissions.StartCourse?.length) fault('permissions.StartCourse: some role must be allowed to start a course');
  if ((def.permissions.ClearSafetyHold ?? []).some((r) => r !== 'physician')) {
    fault('permissions.ClearSafetyHold: only a physician may clear a safety hold');
  }
  for (const [command, meaning] of Object.entries(def.signatures)) {
    if (command === 'StartCourse') fault('signatures.StartCourse: starting a course cannot require a signature');
    if (!(SIGNATURE_MEANINGS as readonly string[]).includes(meaning as string)) fault(`signatures.${command}: unknown meaning "${meaning}"`);
  }

  // ---- instruments
  const instruments = def.instruments.map((i) => i.id);
  for (const id of duplicates(instruments)) fault(`instruments: "${id}" is defined twice`);
  for (const i of def.instruments) {
    if (i.fields.length === 0) fault(`instruments.${i.id}: records no field`);
    faults.push(...fieldFaults(`instruments.${i.id}`, i.fields));
    if (i.loinc !== undefined && !isLoincCode(i.loinc)) fault(`instruments.${i.id}: invalid LOINC code "${i.loinc}"`);
    if (i.reportedBy !== undefined && !(REPORTERS as readonly string[]).includes(i.reportedBy)) fault(`instruments.${i.id}: unknown reporter "${i.reportedBy}"`);
  }
  // An optional instrument is never owed: nothing may require it, so it can never block a step or completion.
  const optional = def.instruments.filter((i) => i.optional).map((i) => i.id);

  // ---- screening
  const criteria = def.screening.criteria.map((c) => c.id);
  for (const id of duplicates(criteria)) fault(`screening.criteria: "${id}" is defined twice`);
  for (const step of def.screening.required) {
    if (!(SCREENING_STEPS as readonly string[]).includes(step)) fault(`screening.required: unknown step "${step}"`);
  }
  const baseline = def.screening.baseline;
  if (baseline) {
    const instrument = def.instruments.find((i) => i.id === baseline.instrument);
    const field = instrument?.fields.find((f) => f.name === baseline.field);
    if (!instrument) fault(`screening.baseline: unknown instrument "${baseline.instrument}"`);
    else if (!field || (field.type !== 'integer' && field.type !== 'number')) {
      fault(`screening.baseline: "${baseline.field}" is not a numeric field of ${baseline.instrument}`);
    }
    if (optional.includes(baseline.instrument)) fault(`screening.baseline: the optional ${baseline.instrument} cannot decide eligibility`);
    if (!def.screening.required.includes('baseline_assessment')) {
      fault('screening.baseline: a baseline threshold needs "baseline_assessment" in screening.required');
    }
  }

  // ---- sessions
  const keys = def.sessions.map((s) => s.key);
  for (const key of duplicates(keys)) fault(`sessions: "${key}" is defined twice`);
  def.sessions.forEach((s, index) => {
    const earlier = keys.slice(0, index);
    const where = `sessions.${s.key}`;
    if (!KEY.test(s.key) || s.key === 'baseline') fault(`${where}: invalid key`);
    if (!(SESSION_KINDS as readonly string[]).includes(s.kind)) fault(`${where}: unknown kind "${s.kind}"`);
    if (s.after !== undefined && !earlier.includes(s.after)) fault(`${where}: "after" must name an earlier session, not "${s.after}"`);
    if (s.interval) {
      if (!earlier.includes(s.interval.from)) fault(`${where}: interval must be measured from an earlier session, not "${s.interval.from}"`);
      if (s.interval.minHours < 0) fault(`${where}: interval minimum must not be negative`);
      if (s.interval.maxHours !== undefined && s.interval.maxHours < s.interval.minHours) fault(`${where}: interval maximum is below its minimum`);
    }
    for (const gate of s.gates) if (!(GATES as readonly string[]).includes(gate)) fault(`${where}: unknown gate "${gate}"`);
    if (s.kind === 'dosing' && !s.gates.includes('no_safety_hold')) fault(`${where}: a dosing session must be gated by "no_safety_hold"`);
    for (const i of s.requiredAssessments) if (!instruments.includes(i)) fault(`${where}: unknown instrument "${i}"`);
    for (const i of s.requiredAssessments) if (optional.includes(i)) fault(`${where}: the optional ${i} cannot be required`);
  });

  // ---- dosing
  const dosing = def.dosing;
  if ((dosing.initialDoseOptions ?? []).some((d) => !(d > 0))) fault('dosing.initialDoseOptions: every dose must be positive');
  if (dosing.initialDoseRange && dosing.initialDoseRange.min > dosing.initialDoseRange.max) fault('dosing.initialDoseRange: min is above max');
  if (dosing.supplemental) {
    const { ratio, windowMinutes } = dosing.supplemental;
    if (!(ratio > 0 && ratio <= 1)) fault('dosing.supplemental.ratio must be above 0 and at most 1');
    if (windowMinutes.min < 0 || windowMinutes.max < windowMinutes.min) fault('dosing.supplemental.windowMinutes must be a non-negative range');
  }
  if (!(dosing.minimumMonitoringMinutes > 0)) fault('dosing.minimumMonitoringMinutes must be positive');
  for (const p of dosing.vitals.postDose) {
    if (p.earliestMinutes < 0 || p.earliestMinutes > p.targetMinutes) fault(`dosing.vitals.postDose "${p.label}": earliest must be between 0 and the target`);
  }
  if (dosing.monitoringForm) {
    if (!(dosing.monitoringForm.dueWithinDays > 0)) fault('dosing.monitoringForm.dueWithinDays must be positive');
    faults.push(...fieldFaults('dosing.monitoringForm', dosing.monitoringForm.fields));
  }

  // ---- assessment points
  const points = def.assessmentPoints.map((p) => p.key);
  for (const key of duplicates(points)) fault(`assessmentPoints: "${key}" is defined twice`);
  for (const p of def.assessmentPoints) {
    const where = `assessmentPoints.${p.key}`;
    if (keys.includes(p.key) || p.key === 'baseline') fault(`${where}: key clashes with a session or "baseline"`);
    if (!instruments.includes(p.instrument)) fault(`${where}: unknown instrument "${p.instrument}"`);
    if (optional.includes(p.instrument)) fault(`${where}: an assessment point is owed, so it cannot record the optional ${p.instrument}`);
    if (!keys.includes(p.after)) fault(`${where}: "after" must name a session`);
    if (p.before !== undefined && keys.indexOf(p.before) <= keys.indexOf(p.after)) fault(`${where}: "before" must name a session later than "after"`);
    if (p.window) {
      if (p.window.from !== 'baseline' && !keys.includes(p.window.from)) fault(`${where}: window must be measured from "baseline" or a session`);
      if (p.window.from === 'baseline' && !baseline) fault(`${where}: window measured from a baseline the protocol does not define`);
      if (p.window.minHours < 0 || p.window.maxHours < p.window.minHours) fault(`${where}: window must be a non-negative range`);
    }
  }
  for (const id of duplicates([...def.aesiCategories])) fault(`aesiCategories: "${id}" is listed twice`);
  return faults;
};
