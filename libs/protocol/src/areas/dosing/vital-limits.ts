import type { VitalThresholds } from '../../definitions/protocol-definition';

/*
 * Which vital-sign values are above a protocol's limits: the rule the decider applies before a dose and
 * when it raises an alert, and the one the web console highlights readings by. Kept in a file of its own
 * with no runtime imports, so the console bundles this rule and nothing else of the protocol.
 */

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
