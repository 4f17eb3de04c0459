import { reject, type Rejection } from './rejection';
import { isBefore } from './time';

/**
 * The refusal of a step outside its protocol window (a visit's interval, an assessment point, the
 * supplemental dose): INTERVAL_NOT_MET before the window opens, WINDOW_CLOSED after it closes.
 */
export const windowRejection = (
  window: { earliest: string; latest: string | null } | null,
  at: string,
  what: string,
): Rejection | null => {
  if (!window) return null;
  if (isBefore(at, window.earliest)) {
    return reject('INTERVAL_NOT_MET', `It is too early for ${what}; the protocol's minimum interval has not passed.`, {
      earliest: window.earliest,
    });
  }
  if (window.latest !== null && isBefore(window.latest, at)) {
    return reject('WINDOW_CLOSED', `The protocol's window for ${what} has closed.`, { latest: window.latest });
  }
  return null;
};
