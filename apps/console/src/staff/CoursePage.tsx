import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import type { CourseView, RecordedEvent, Step } from '../api/types';
import { useSession } from '../auth/session';
import { ROLE_LABELS, STAFF_ROLES } from '../app/navigation';
import { useCommandSchemas } from '../forms/command-schemas';
import { stepKeyOf } from '../forms/fields';
import { MEANING_TEXT } from '../forms/SignatureDialog';
import { keptDraftStep, StepForm } from '../forms/StepForm';
import { ErrorNotice, Loading, Notice, PageTitle } from '../ui/feedback';
import { formatTime, relativeTo } from '../ui/time';
import { DosingSessionView } from './DosingSessionView';
import { useProtocolVersion } from './protocol-hooks';
import { humanise, Timeline } from './Timeline';

const STATUS_TEXT: Record<string, string> = { active: 'Active', on_hold: 'On safety hold', withdrawn: 'Withdrawn', completed: 'Completed', not_started: 'Not started' };

const stepTitle = (step: Step): string => step.label;

/**
 * A course: its phase and status, the safety hold if any, a dosing visit in progress, the steps that can
 * be taken now (forms generated from the command schemas), what is blocked and why, what is due, the
 * signatures and the recorded timeline.
 */
export const CoursePage = () => {
  const { courseId = '' } = useParams();
  const { identity } = useSession();
  const queries = useQueryClient();
  const path = `/courses/${encodeURIComponent(courseId)}`;
  const course = useApiGet<CourseView>(path, { refetchInterval: 15_000 });
  const events = useApiGet<{ events: RecordedEvent[] }>(`${path}/events`, { refetchInterval: 15_000 });
  const protocol = useProtocolVersion(course.data?.protocol);
  const schemas = useCommandSchemas();
  // Back from signing in again at the identity provider: the form of the kept values is open again.
  const [openStep, setOpenStep] = useState<string | null>(() => keptDraftStep(courseId));
  const [message, setMessage] = useState<string | null>(null);

  const refresh = async (text: string) => {
    setMessage(text);
    setOpenStep(null);
    await Promise.all([queries.invalidateQueries({ queryKey: [identity?.sub ?? '', identity?.siteId ?? '', path] }), queries.invalidateQueries({ queryKey: [identity?.sub ?? '', identity?.siteId ?? '', `${path}/events`] })]);
  };

  if (course.isPending) return <Loading what="the course" />;
  if (course.error) return <ErrorNotice error={course.error} title="The course could not be loaded." />;
  const c = course.data;
  const started = events.data?.events[0];
  const patientRef = typeof started?.data['patientRef'] === 'string' ? (started.data['patientRef'] as string) : null;
  const activeHolds = c.holds.filter((h) => h.clearedAt === null);
  const def = protocol.data;
  const dosingVisits = c.sessions.filter((s) => s.status === 'in_progress' && def?.sessions.find((d) => d.key === s.key)?.kind === 'dosing');
  const canAct = identity ? STAFF_ROLES.includes(identity.role) : false;
  const signatures = Object.entries(c.signatures);

  return (
    <>
      <PageTitle title={`Course ${patientRef ?? courseId}`}>Course of care {patientRef ? `· ${patientRef}` : ''}</PageTitle>
      <dl className="summary" data-testid="course-summary">
        <dt>Course</dt>
        <dd>{courseId}</dd>
        <dt>Protocol</dt>
        <dd>{def ? `${def.title} (version ${def.version})` : c.protocol ? `${c.protocol.id} v${c.protocol.version}` : '—'}</dd>
        <dt>Phase</dt>
        <dd data-testid="course-phase">{c.phase ? humanise(c.phase) : '—'}</dd>
        <dt>Status</dt>
        <dd data-testid="course-status">{STATUS_TEXT[c.status] ?? c.status}</dd>
        <dt>Started</dt>
        <dd>{formatTime(c.startedAt)}</dd>
        <dt>Site</dt>
        <dd>{c.siteId}</dd>
      </dl>
      {activeHolds.map((h) => (
        <div key={h.ref} className="notice notice-error" role="alert" data-testid="safety-hold">
          <strong>Safety hold</strong> since {formatTime(h.placedAt)}: {h.reason}. Dosing steps are refused until a physician clears it.
        </div>
      ))}
      {message ? <Notice kind="success">{message}</Notice> : null}

      {def ? dosingVisits.map((s) => <DosingSessionView key={s.key} course={c} session={s} protocol={def} />) : null}

      <section aria-labelledby="steps-title">
        <h2 id="steps-title">What can be done now</h2>
        {!canAct ? <p className="muted">You can read this course; steps are taken by clinic staff.</p> : null}
        {schemas.error ? <ErrorNotice error={schemas.error} title="The step forms could not be loaded." /> : null}
        {c.availableSteps.available.length === 0 ? <p>No step can be taken now.</p> : null}
        <ul className="step-list">
          {c.availableSteps.available.map((step) => {
            const key = stepKeyOf(step);
            const schema = schemas.data?.(step.command) ?? null;
            const mayDo = identity ? step.roles.includes(identity.role as never) : false;
            const open = openStep === key;
            return (
              <li key={key} className="card" data-testid="available-step" data-command={step.command} data-session={step.sessionKey}>
                <h3>{stepTitle(step)}</h3>
                <p className="small muted">
                  {step.roles.map((r) => ROLE_LABELS[r] ?? r).join(', ')}
                  {step.signatureMeaning ? ` · signed (${MEANING_TEXT[step.signatureMeaning] ?? step.signatureMeaning})` : ''}
                  {step.earliest ? ` · from ${formatTime(step.earliest)}` : ''}
                  {step.latest ? ` · until ${formatTime(step.latest)} (${relativeTo(step.latest)})` : ''}
                </p>
                {canAct && mayDo && schema && def ? (
                  open ? (
                    <>
                      <StepForm courseId={courseId} step={step} schema={schema} protocol={def} onDone={(text) => void refresh(text)} />
                      <button type="button" className="secondary" onClick={() => setOpenStep(null)}>
                        Close the form
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => (setOpenStep(key), setMessage(null))} aria-label={`Open the form: ${stepTitle(step)}`}>
                      Open the form
                    </button>
                  )
                ) : canAct && !mayDo ? (
                  <p className="small">Your role does not take this step.</p>
                ) : null}
              </li>
            );
          })}
        </ul>
        {c.availableSteps.blocked.length ? (
          <>
            <h3>Not possible yet</h3>
            <ul data-testid="blocked-steps">
              {c.availableSteps.blocked.map((b) => (
                <li key={`${stepKeyOf(b)}|${b.reason}`} className="blocked">
                  <strong>{b.label}</strong>: {b.message}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {c.availableSteps.due.length ? (
          <>
            <h3>Due dates</h3>
            <ul>
              {c.availableSteps.due.map((d) => (
                <li key={d.key}>
                  {d.overdue ? <span className="badge badge-overdue">Overdue</span> : <span className="badge badge-due">Due</span>} {d.label}: {formatTime(d.dueAt)} ({relativeTo(d.dueAt)})
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <section aria-labelledby="signatures-title">
        <h2 id="signatures-title">Signatures</h2>
        {signatures.length === 0 ? (
          <p className="muted">No signed records yet.</p>
        ) : (
          <table data-testid="signatures">
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Signed by</th>
                <th scope="col">Date and time</th>
                <th scope="col">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {signatures.map(([version, s]) => (
                <tr key={version}>
                  <td>
                    #{version} {humanise(c.eventTypes[Number(version) - 1] ?? '')}
                  </td>
                  <td>{s.printedName}</td>
                  <td>{formatTime(s.signedAt)}</td>
                  <td>{s.meaning}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Recorded history</h2>
        <ErrorNotice error={events.error} />
        {events.data ? <Timeline events={events.data.events} /> : <Loading what="the history" />}
      </section>
    </>
  );
};
