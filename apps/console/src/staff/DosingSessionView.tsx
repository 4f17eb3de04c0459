import { useEffect, useState } from 'react';
import { vitalBreaches } from '@care/protocol/vital-limits';
import type { VitalThresholds } from '@care/protocol';
import type { CourseView, ProtocolVersion, SessionState, VitalsReading } from '../api/types';
import { formatTime, relativeTo } from '../ui/time';

type Thresholds = VitalThresholds;

const useNow = (everyMs: number): number => {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
};

const at = (iso: string, minutes: number): string => new Date(new Date(iso).getTime() + minutes * 60000).toISOString();

const duration = (ms: number): string => {
  const minutes = Math.max(0, Math.ceil(ms / 60000));
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
};

/** Blood pressure and heart rate over time against the alert limits (drawn lines); the table below holds the same numbers. */
const VitalsChart = ({ readings, limits }: { readings: VitalsReading[]; limits: Thresholds | undefined }) => {
  if (readings.length === 0) return null;
  const width = 640;
  const height = 220;
  const pad = { left: 40, right: 12, top: 12, bottom: 28 };
  const times = readings.map((r) => new Date(r.measuredAt).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 60 * 60000);
  const values = readings.flatMap((r) => [r.systolic, r.diastolic, r.heartRate]).concat([limits?.systolicAbove ?? 0, limits?.diastolicAbove ?? 0, limits?.heartRateAbove ?? 0]);
  const vMin = Math.max(0, Math.min(...values.filter((v) => v > 0)) - 10);
  const vMax = Math.max(...values) + 10;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - vMin) / (vMax - vMin)) * (height - pad.top - pad.bottom);
  const series: { key: 'systolic' | 'diastolic' | 'heartRate'; label: string; colour: string; dash?: string }[] = [
    { key: 'systolic', label: 'Systolic (mmHg)', colour: '#a4161a' },
    { key: 'diastolic', label: 'Diastolic (mmHg)', colour: '#0b57a3' },
    { key: 'heartRate', label: 'Heart rate (/min)', colour: '#1b5e20', dash: '6 3' },
  ];
  const limitLines = [
    { value: limits?.systolicAbove, label: `systolic limit ${limits?.systolicAbove}`, colour: '#a4161a' },
    { value: limits?.diastolicAbove, label: `diastolic limit ${limits?.diastolicAbove}`, colour: '#0b57a3' },
    { value: limits?.heartRateAbove, label: `heart-rate limit ${limits?.heartRateAbove}`, colour: '#1b5e20' },
  ].filter((l): l is { value: number; label: string; colour: string } => typeof l.value === 'number');
  return (
    <figure>
      <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Vital signs chart: ${readings.length} readings against the protocol's alert limits; the same values are in the table below.`}>
        <line x1={pad.left} y1={height - pad.bottom} x2={width - pad.right} y2={height - pad.bottom} stroke="#767676" />
        <line x1={pad.left} y1={pad.top} x2={pad.left} y2={height - pad.bottom} stroke="#767676" />
        {[vMin, (vMin + vMax) / 2, vMax].map((v) => (
          <text key={v} x={4} y={y(v) + 4} fontSize="11" fill="#4a4a4a">
            {Math.round(v)}
          </text>
        ))}
        <text x={pad.left} y={height - 8} fontSize="11" fill="#4a4a4a">
          {new Date(t0).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        </text>
        <text x={width - pad.right - 40} y={height - 8} fontSize="11" fill="#4a4a4a">
          {new Date(t1).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        </text>
        {limitLines.map((l) => (
          <g key={l.label}>
            <line x1={pad.left} x2={width - pad.right} y1={y(l.value)} y2={y(l.value)} stroke={l.colour} strokeDasharray="2 4" />
            <text x={width - pad.right - 130} y={y(l.value) - 3} fontSize="10" fill={l.colour}>
              {l.label}
            </text>
          </g>
        ))}
        {series.map((s) => (
          <g key={s.key}>
            <polyline fill="none" stroke={s.colour} strokeWidth="2" strokeDasharray={s.dash} points={readings.map((r) => `${x(new Date(r.measuredAt).getTime())},${y(r[s.key])}`).join(' ')} />
            {readings.map((r) => (
              <circle key={`${s.key}-${r.version}`} cx={x(new Date(r.measuredAt).getTime())} cy={y(r[s.key])} r={vitalBreaches(r, limits).length ? 5 : 3} fill={s.colour} />
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="small">
        {series.map((s) => (
          <span key={s.key} className="legend">
            <svg width="22" height="8" aria-hidden="true">
              <line x1="0" y1="4" x2="22" y2="4" stroke={s.colour} strokeWidth="2" strokeDasharray={s.dash} />
            </svg>{' '}
            {s.label}
          </span>
        ))}
        ; dotted lines: the protocol's alert limits.
      </figcaption>
    </figure>
  );
};

/**
 * A dosing visit in progress: dose times, the vitals schedule with the next reading due, readings
 * against the protocol's thresholds (alerts highlighted), the supplemental-dose window, and the
 * minimum monitoring time counting down to discharge.
 */
export const DosingSessionView = ({ course, session, protocol }: { course: CourseView; session: SessionState; protocol: ProtocolVersion }) => {
  const now = useNow(15_000);
  const dosing = protocol.dosing;
  const record = session.dosing;
  const readings = course.vitals.filter((r) => r.sessionKey === session.key && r.attempt === session.attempt).sort((a, b) => a.measuredAt.localeCompare(b.measuredAt));
  const limits = dosing?.vitals.alertAbove;
  const doseAt = record?.initialDose?.at ?? null;
  const nextVitals = course.availableSteps.due.filter((d) => d.command === 'RecordVitals' && d.sessionKey === session.key).sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
  const supplemental = dosing?.supplemental;
  const windowOpens = doseAt && supplemental ? at(doseAt, supplemental.windowMinutes.min) : null;
  const windowCloses = doseAt && supplemental ? at(doseAt, supplemental.windowMinutes.max) : null;
  const dischargeFrom = doseAt && dosing ? at(doseAt, dosing.minimumMonitoringMinutes) : null;
  const remaining = dischargeFrom ? new Date(dischargeFrom).getTime() - now : null;

  const supplementalText = () => {
    if (!supplemental) return 'This protocol has no supplemental dose.';
    if (record?.supplemental?.outcome === 'given') return `Given: ${record.supplemental.amountMg} mg at ${formatTime(record.supplemental.at)}.`;
    if (record?.supplemental?.outcome === 'withheld') return `Withheld at ${formatTime(record.supplemental.at)}: ${record.supplemental.reason}`;
    if (!windowOpens || !windowCloses) return `Opens ${supplemental.windowMinutes.min} minutes after the initial dose.`;
    if (now < new Date(windowOpens).getTime()) return `Opens at ${formatTime(windowOpens)} (${relativeTo(windowOpens, now)}), closes at ${formatTime(windowCloses)}.`;
    if (now <= new Date(windowCloses).getTime()) return `Open now, until ${formatTime(windowCloses)} (${relativeTo(windowCloses, now)}).`;
    return `Closed at ${formatTime(windowCloses)}.`;
  };

  return (
    <section aria-labelledby="dosing-title" className="card" data-testid="dosing-view">
      <h2 id="dosing-title">Dosing visit {session.key}</h2>
      <dl className="summary">
        <dt>Visit started</dt>
        <dd>{formatTime(session.startedAt)}</dd>
        <dt>Pre-dose checks</dt>
        <dd>{record?.preDoseChecks ? `Done${record.preDoseChecks.at ? ` at ${formatTime(record.preDoseChecks.at)}` : ''}` : 'Not yet recorded'}</dd>
        <dt>Initial dose</dt>
        <dd data-testid="initial-dose">{record?.initialDose ? `${record.initialDose.amountMg} mg at ${formatTime(record.initialDose.at)}` : 'Not given yet'}</dd>
        <dt>Supplemental dose</dt>
        <dd data-testid="supplemental-window">{supplementalText()}</dd>
        <dt>Next vital signs</dt>
        <dd data-testid="next-vitals">
          {nextVitals ? (
            <>
              {nextVitals.label}: {nextVitals.overdue ? <span className="badge badge-overdue">overdue</span> : 'due'} {formatTime(nextVitals.dueAt)} ({relativeTo(nextVitals.dueAt, now)})
            </>
          ) : dosing?.vitals.postDose.length ? (
            `Scheduled after the dose: ${dosing.vitals.postDose.map((p) => p.label).join('; ')}${dosing.vitals.beforeDischarge ? '; and before discharge' : ''}.`
          ) : dosing?.vitals.beforeDischarge ? (
            'Before the dose and before discharge (and whenever clinically indicated).'
          ) : (
            'As clinically indicated.'
          )}
        </dd>
        <dt>Discharge</dt>
        <dd data-testid="discharge-countdown">
          {record?.discharge ? (
            `Discharged at ${formatTime(record.discharge.at)}.`
          ) : dischargeFrom && remaining !== null ? (
            remaining > 0 ? (
              <span className="countdown" role="timer" aria-live="off">
                Minimum monitoring: {duration(remaining)} left (until {formatTime(dischargeFrom)})
              </span>
            ) : (
              `The minimum monitoring time (${dosing!.minimumMonitoringMinutes} minutes) has passed: discharge is possible when the criteria are met.`
            )
          ) : (
            `At least ${dosing?.minimumMonitoringMinutes ?? '?'} minutes of monitoring after the initial dose.`
          )}
        </dd>
      </dl>
      <h3>Vital signs</h3>
      {course.alertCount > 0 ? <p className="notice notice-error" role="alert">{course.alertCount} alert(s) raised in this course.</p> : null}
      <VitalsChart readings={readings} limits={limits} />
      {readings.length ? (
        <table data-testid="vitals-table">
          <thead>
            <tr>
              <th scope="col">Measured</th>
              <th scope="col">When in the visit</th>
              <th scope="col">Blood pressure (mmHg)</th>
              <th scope="col">Heart rate (/min)</th>
              <th scope="col">Temperature (°C)</th>
              <th scope="col">Alert</th>
            </tr>
          </thead>
          <tbody>
            {readings.map((r) => {
              const alerts = vitalBreaches(r, limits);
              return (
                <tr key={r.version} className={alerts.length ? 'row-alert' : undefined}>
                  <td>{formatTime(r.measuredAt)}</td>
                  <td>{r.timing.replace(/_/g, ' ')}</td>
                  <td>
                    {r.systolic}/{r.diastolic}
                  </td>
                  <td>{r.heartRate}</td>
                  <td>{r.temperatureC ?? '—'}</td>
                  <td>{alerts.length ? <span className="badge badge-alert">{alerts.join(', ')}</span> : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="muted">No readings yet in this visit.</p>
      )}
      {limits ? (
        <p className="small muted">
          Alert limits: systolic above {limits.systolicAbove ?? '—'}, diastolic above {limits.diastolicAbove ?? '—'}, heart rate above {limits.heartRateAbove ?? '—'}, temperature above {limits.temperatureCAbove ?? '—'} °C.
        </p>
      ) : null}
    </section>
  );
};
