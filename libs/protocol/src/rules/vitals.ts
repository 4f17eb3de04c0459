import type { OutcomeField } from '../definitions/protocol-definition';

/**
 * Plausibility bounds of a vital-sign reading (rejects typing errors such as 1200 mmHg). These are input
 * sanity limits, not clinical thresholds; the thresholds that matter clinically are protocol data.
 */
export const VITAL_FIELDS: readonly OutcomeField[] = [
  { name: 'systolic', label: 'Systolic pressure', type: 'integer', unit: 'mmHg', min: 40, max: 300, required: true },
  { name: 'diastolic', label: 'Diastolic pressure', type: 'integer', unit: 'mmHg', min: 20, max: 200, required: true },
  { name: 'heartRate', label: 'Heart rate', type: 'integer', unit: 'bpm', min: 20, max: 250, required: true },
  { name: 'temperatureC', label: 'Temperature', type: 'number', unit: '°C', min: 30, max: 45, required: false },
];
