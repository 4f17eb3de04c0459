import type { CourseCommand, RecordEmergencyContact, RecordInformedConsent, StartCourse } from './command';
import { findProtocol } from './definitions/registry';
import type { CourseEvent, EventMetadata } from './event';
import { reject, type Rejection } from './rejection';
import type { CourseState } from './state';

export type Decision = { ok: true; events: CourseEvent[] } | { ok: false; rejection: Rejection };

const accept = (...events: CourseEvent[]): Decision => ({ ok: true, events });
const refuse = (rejection: Rejection): Decision => ({ ok: false, rejection });

const metadataOf = (command: CourseCommand): EventMetadata => ({
  actor: command.metadata.actor,
  occurredAt: command.metadata.now,
  correlationId: command.metadata.correlationId,
});

// ---------------------------------------------------------------- checks shared by every command

/** Refusals that apply before any step-specific rule. Order matters: never reveal another site's course. */
const preconditions = (command: CourseCommand, state: CourseState): Rejection | null => {
  const { actor, expectedVersion } = command.metadata;
  if (command.type === 'StartCourse') {
    if (state.status !== 'not_started') {
      return reject('COURSE_ALREADY_STARTED', 'This course of care has already been started.');
    }
  } else {
    if (state.status === 'not_started' || state.siteId !== actor.siteId) {
      return reject('COURSE_NOT_FOUND', 'No such course of care at your site.');
    }
    if (state.status === 'withdrawn' || state.status === 'completed') {
      return reject('COURSE_CLOSED', 'This course of care is closed; nothing more can be recorded on it.');
    }
  }
  if (expectedVersion !== undefined && expectedVersion !== state.version) {
    return reject('VERSION_CONFLICT', 'The course changed since you last loaded it; reload and try again.', {
      currentVersion: state.version,
    });
  }
  const protocol =
    command.type === 'StartCourse'
      ? findProtocol(command.data.protocolId)
      : state.protocol && findProtocol(state.protocol.id, state.protocol.version);
  if (!protocol) {
    return reject('PROTOCOL_UNKNOWN', 'The requested treatment protocol is not known to this service.');
  }
  const allowed = protocol.permissions[command.type] ?? [];
  if (!allowed.includes(actor.role)) {
    return reject('ROLE_NOT_PERMITTED', `A ${actor.role} may not perform this step under this protocol.`, {
      command: command.type,
      allowedRoles: [...allowed],
    });
  }
  return null;
};

// ---------------------------------------------------------------- one function per command

const startCourse = (command: StartCourse): Decision => {
  if (command.data.siteId !== command.metadata.actor.siteId) {
    return refuse(reject('ROLE_NOT_PERMITTED', 'You may only start courses of care at your own site.'));
  }
  const protocol = findProtocol(command.data.protocolId);
  if (!protocol) return refuse(reject('PROTOCOL_UNKNOWN', 'The requested treatment protocol is not known.'));
  return accept({
    type: 'CourseStarted',
    schemaVersion: 1,
    data: { ...command.data, protocolVersion: protocol.version },
    metadata: metadataOf(command),
  });
};

const recordInformedConsent = (command: RecordInformedConsent, state: CourseState): Decision => {
  if (state.screening.consentRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'Informed consent is already recorded for this course.'));
  }
  return accept({ type: 'InformedConsentRecorded', schemaVersion: 1, data: command.data, metadata: metadataOf(command) });
};

const recordEmergencyContact = (command: RecordEmergencyContact, state: CourseState): Decision => {
  if (!state.screening.consentRecorded) {
    return refuse(
      reject('STEP_OUT_OF_ORDER', 'Informed consent must be recorded before the emergency contact.', {
        missing: 'RecordInformedConsent',
      }),
    );
  }
  if (state.screening.emergencyContactRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'An emergency contact is already recorded for this course.'));
  }
  return accept({ type: 'EmergencyContactRecorded', schemaVersion: 1, data: command.data, metadata: metadataOf(command) });
};

/** Decides what a command means for a course: the events it produces, or why it is refused. Pure. */
export const decide = (command: CourseCommand, state: CourseState): Decision => {
  const refused = preconditions(command, state);
  if (refused) return refuse(refused);
  switch (command.type) {
    case 'StartCourse':
      return startCourse(command);
    case 'RecordInformedConsent':
      return recordInformedConsent(command, state);
    case 'RecordEmergencyContact':
      return recordEmergencyContact(command, state);
    default: {
      const unreachable: never = command;
      throw new Error(`Unhandled command ${(unreachable as CourseCommand).type}`);
    }
  }
};

/** Folds one event into the state. Pure; never refuses: events are facts. */
export const evolve = (state: CourseState, event: CourseEvent): CourseState => {
  const next = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'CourseStarted':
      return {
        ...next,
        status: 'active',
        phase: 'screening',
        courseId: event.data.courseId,
        siteId: event.data.siteId,
        protocol: { id: event.data.protocolId, version: event.data.protocolVersion },
      };
    case 'InformedConsentRecorded':
      return { ...next, screening: { ...state.screening, consentRecorded: true } };
    case 'EmergencyContactRecorded':
      return { ...next, screening: { ...state.screening, emergencyContactRecorded: true } };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};
