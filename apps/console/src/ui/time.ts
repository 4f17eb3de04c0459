/** Times as people read them: local wall-clock time with its zone; auditors also see UTC. */
const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' });

export const formatTime = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const tz = zone.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${local.format(date)} ${tz}`.trim();
};

export const formatUtc = (iso: string | null | undefined): string => (iso ? `${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC')}` : '—');

/** "in 25 min", "3 h ago": how far a time is from now. */
export const relativeTo = (iso: string, now: number = Date.now()): string => {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60000);
  const abs = Math.abs(minutes);
  const text = abs < 60 ? `${abs} min` : abs < 48 * 60 ? `${Math.round(abs / 60)} h` : `${Math.round(abs / 1440)} days`;
  if (abs === 0) return 'now';
  return minutes > 0 ? `in ${text}` : `${text} ago`;
};

/** A `datetime-local` input's value for a moment (local time, minutes). */
export const toLocalInput = (date: Date): string => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/** The UTC ISO time of a `datetime-local` input's value, or null when it is not a time. */
export const fromLocalInput = (value: string): string | null => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
};
