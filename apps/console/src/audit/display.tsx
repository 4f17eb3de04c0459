import { ROLE_LABELS } from '../app/navigation';
import { formatTime, formatUtc } from '../ui/time';
import type { SignatureManifestation } from './types';

/** Every audit read is itself recorded in the access log: no silent re-reads when the window regains focus. */
export const AUDIT_READ = { refetchOnWindowFocus: false, staleTime: 60_000 } as const;

/** Roles as people read them; `system` is the course workflow itself (timers, reminders). */
export const roleLabel = (role: string | null | undefined): string => {
  if (!role) return '—';
  if (role === 'system') return 'System (course workflow)';
  return ROLE_LABELS[role] ?? role;
};

/** A moment in local time, with UTC beneath it (auditors compare against UTC records). */
export const Moment = ({ iso }: { iso: string | null | undefined }) => {
  if (!iso) return <>—</>;
  return (
    <>
      <time dateTime={iso}>{formatTime(iso)}</time>
      <br />
      <span className="muted small">{formatUtc(iso)}</span>
    </>
  );
};

/** One value of an event's data: text as text, anything structured as indented JSON. */
export const Value = ({ value }: { value: unknown }) => {
  if (value === null || value === undefined) return <span className="muted">none</span>;
  if (typeof value === 'string') return <>{value}</>;
  if (typeof value === 'number' || typeof value === 'boolean') return <>{String(value)}</>;
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
};

const isText = (v: unknown): v is string => typeof v === 'string';

/** A signature manifestation, or null when the value is not one (unsigned, or an unexpected shape). */
export const asSignature = (value: unknown): SignatureManifestation | null => {
  if (!value || typeof value !== 'object') return null;
  const s = value as Record<string, unknown>;
  if (!isText(s['printedName']) || !isText(s['signedAt']) || !isText(s['meaning'])) return null;
  return {
    signerId: isText(s['signerId']) ? s['signerId'] : '',
    printedName: s['printedName'],
    signedAt: s['signedAt'],
    meaning: s['meaning'],
    ...(isText(s['recordHash']) ? { recordHash: s['recordHash'] } : {}),
    ...(Array.isArray(s['signedFields']) && s['signedFields'].every(isText) ? { signedFields: s['signedFields'] } : {}),
  };
};

export const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
