import type { RecordedEvent } from '../api/types';
import { ROLE_LABELS } from '../app/navigation';
import { formatTime } from '../ui/time';

export const humanise = (type: string): string => {
  const words = type.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const CLINICAL_TIME_KEYS = ['performedAt', 'measuredAt', 'consentedAt', 'onsetAt'];
const clinicalTimeOf = (e: RecordedEvent): string | null => {
  for (const key of CLINICAL_TIME_KEYS) if (typeof e.data[key] === 'string') return e.data[key] as string;
  return null;
};

/** The course's record, newest first: what, who, when it happened (clinical time) and when it was entered. */
export const Timeline = ({ events }: { events: RecordedEvent[] }) => (
  <table data-testid="timeline">
    <thead>
      <tr>
        <th scope="col">#</th>
        <th scope="col">What</th>
        <th scope="col">Who</th>
        <th scope="col">When it happened</th>
        <th scope="col">Entered</th>
        <th scope="col">Signed</th>
      </tr>
    </thead>
    <tbody>
      {[...events].reverse().map((e) => {
        const clinical = clinicalTimeOf(e);
        const signature = e.data['signature'] as { printedName?: string; meaning?: string } | undefined;
        const actor = e.metadata.actor;
        return (
          <tr key={e.eventId} data-testid="timeline-row" data-event-type={e.type}>
            <td>{e.streamVersion}</td>
            <td>
              {humanise(e.type)}
              {typeof e.data['sessionKey'] === 'string' ? <span className="muted small"> · {e.data['sessionKey'] as string}</span> : null}
              {typeof e.data['lateEntryReason'] === 'string' ? (
                <div className="small">
                  <span className="badge badge-due">Late entry</span> {e.data['lateEntryReason'] as string}
                </div>
              ) : null}
            </td>
            <td>
              {actor?.name ?? '—'}
              <span className="muted small"> · {ROLE_LABELS[actor?.role ?? ''] ?? actor?.role ?? ''}</span>
            </td>
            <td>{clinical ? formatTime(clinical) : <span className="muted">—</span>}</td>
            <td className="small">{formatTime(e.metadata.occurredAt ?? e.recordedAt)}</td>
            <td className="small">{signature ? `${signature.printedName ?? ''} (${signature.meaning ?? ''})` : ''}</td>
          </tr>
        );
      })}
    </tbody>
  </table>
);
