import { createHash } from 'node:crypto';
import {
  clinicalTimeOfEvent,
  evolve,
  findProtocol,
  initialState,
  isCourseClosed,
  upcastEvent,
  type CourseEvent,
  type CourseState,
  type EventMetadata,
  type OutcomeField,
  type OutcomeValues,
  type ProtocolDefinition,
  type SessionState,
} from '@care/protocol';
import {
  ACTIVITY,
  AMBULATORY,
  CONSENT_CATEGORY_PATIENT_CONSENT,
  CONSENT_SCOPE_TREATMENT,
  IDENTIFIER_SYSTEM,
  LOCAL_SYSTEM,
  MG,
  SAFETY_FLAG_CATEGORY,
  SERIOUSNESS,
  SEVERITY,
  SIGNATURE_MEANING,
  SIGNED_RECORD_FORMAT,
  SURVEY_CATEGORY,
  SYSTEM,
  UCUM_UNITS,
  VITAL_SIGNS_CATEGORY,
  VITALS,
  coding,
  concept,
  consentFormUri,
  protocolUri,
} from './fhir-codes';
import type {
  AdverseEvent,
  Bundle,
  CarePlan,
  CarePlanActivityStatus,
  CarePlanStatus,
  Consent,
  CourseResource,
  Encounter,
  EncounterStatus,
  Flag,
  MedicationAdministration,
  Observation,
  ObservationComponent,
  ObservationValue,
  Patient,
  Provenance,
  Reference,
} from './fhir-r4';

/*
 * A course of care as a FHIR R4 `collection` Bundle, from its recorded events alone: a pure function
 * (no clock, no I/O; the export time comes in), so the same record always gives the same document, and
 * resource ids are derived from the course id and the record's positions, stable from one export to
 * the next. No clinical rule lives here: the state comes from the protocol's own `evolve`, the clinical
 * time of each event from its `clinicalTimeOfEvent`; this file only says how each recorded fact reads in
 * FHIR. Free text (evidence, reasons, descriptions, notes) and references to other people (raters,
 * escorts, emergency contacts) are never written: the export carries codes, values and times only [I].
 */

/** An event as the event store returns it (StoredEvent has these fields and more). */
export type RecordedEvent = {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  streamVersion: number;
  recordedAt: string;
};

export type CourseBundleOptions = {
  /** When the document is assembled (Bundle.timestamp); the caller's clock. */
  exportedAt: string;
};

/** One recorded event, upcast, with what the mapping needs around it. */
type Fact = {
  event: CourseEvent;
  /** Stream version: the position other events refer to (adverseEventRef, holdRef, eventVersion). */
  version: number;
  /** When it happened (the clinical time), or its entry time for an administrative step. */
  at: string;
  recordedAt: string;
  /** The state before the event. */
  before: CourseState;
};

/** One attempt at a visit: what the record says of it. A missed or cancelled attempt ends it. */
type Attempt = {
  key: string;
  attempt: number;
  scheduledFor?: string;
  startedAt?: string;
  completedAt?: string;
  ended?: { how: 'missed' | 'cancelled'; at: string };
};

/**
 * A deterministic UUID (RFC 9562 version 8: a custom, hash-based layout [I]) for a resource of a
 * course: SHA-256 of the course id and the resource's key within the course.
 */
export const resourceUuid = (courseId: string, key: string): string => {
  const h = createHash('sha256').update(`care-fhir\u0000${courseId}\u0000${key}`, 'utf8').digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The record's hex SHA-256 as the base64 that Signature.data holds. */
const hexToBase64 = (hex: string): string | undefined => (/^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : undefined);

const attemptKey = (key: string, attempt: number): string => `${key}|${attempt}`;
const attemptOf = (state: CourseState, key: string): number => state.sessions.find((s) => s.key === key)?.attempt ?? 1;

/**
 * Builds the Bundle of a course from its events, oldest first (the whole stream, from CourseStarted).
 * Throws when the stream does not start with CourseStarted (the caller has checked the course exists).
 */
export const courseBundle = (events: readonly RecordedEvent[], options: CourseBundleOptions): Bundle => {
  const ordered = [...events].sort((a, b) => a.streamVersion - b.streamVersion);
  const facts: Fact[] = [];
  let state = initialState();
  for (const raw of ordered) {
    const metadata = raw.metadata as unknown as EventMetadata;
    const event = upcastEvent({ type: raw.type, schemaVersion: raw.schemaVersion, data: raw.data, metadata });
    const before = state;
    state = evolve(state, event);
    const at = clinicalTimeOfEvent(event.type, event.data as Record<string, unknown>, metadata.occurredAt) ?? metadata.occurredAt;
    facts.push({ event, version: state.version, at, recordedAt: raw.recordedAt, before });
  }
  const started = facts[0]?.event;
  if (!started || started.type !== 'CourseStarted') throw new Error('A course record starts with CourseStarted');
  return new CourseBundleBuilder(started.data.courseId, started.data.siteId, started.data.patientRef, state, facts).build(options.exportedAt);
};

class CourseBundleBuilder {
  private readonly def: ProtocolDefinition | undefined;
  private readonly patient: Reference;
  private readonly carePlan: Reference;
  private readonly screening: Reference;
  private readonly site: Reference;
  /** Resources by kind, in the order they are written. */
  private readonly consents: Consent[] = [];
  private readonly observations: Observation[] = [];
  private readonly administrations: MedicationAdministration[] = [];
  private readonly adverseEvents: AdverseEvent[] = [];
  private readonly flags: Flag[] = [];
  /** The resources each event became, by stream version: what a signature of that event signs. */
  private readonly byVersion = new Map<number, Reference[]>();
  private readonly attempts = new Map<string, Attempt>();
  /** The initial dose of each visit attempt (a suspect of an adverse event during it). */
  private readonly doses = new Map<string, Reference>();
  private screeningEnd: string | null = null;

  constructor(
    private readonly courseId: string,
    private readonly siteId: string,
    private readonly patientRef: string,
    /** The state after every event (corrected values, signatures still valid, statuses). */
    private readonly state: CourseState,
    private readonly facts: readonly Fact[],
  ) {
    this.def = state.protocol ? findProtocol(state.protocol.id, state.protocol.version) : undefined;
    this.patient = this.ref('patient');
    this.carePlan = this.ref('care-plan');
    this.screening = this.ref('encounter|screening');
    this.site = { type: 'Organization', identifier: { system: IDENTIFIER_SYSTEM.site, value: siteId } };
  }

  private uuid(key: string): string {
    return resourceUuid(this.courseId, key);
  }

  private ref(key: string): Reference {
    return { reference: `urn:uuid:${this.uuid(key)}` };
  }

  private register(version: number, ...refs: Reference[]): void {
    this.byVersion.set(version, [...(this.byVersion.get(version) ?? []), ...refs]);
  }

  /** The encounter of visit `key` as it stood before `fact` (its current attempt then). */
  private encounterAt(key: string, fact: Fact): Reference {
    const attempt = attemptOf(fact.before, key);
    this.touch(key, attempt);
    return this.ref(`encounter|${key}|${attempt}`);
  }

  private touch(key: string, attempt: number): Attempt {
    const id = attemptKey(key, attempt);
    const found = this.attempts.get(id);
    if (found) return found;
    const created: Attempt = { key, attempt };
    this.attempts.set(id, created);
    return created;
  }

  build(exportedAt: string): Bundle {
    for (const fact of this.facts) this.map(fact);
    const resources: CourseResource[] = [
      this.patientResource(),
      this.carePlanResource(),
      ...this.consents,
      ...this.encounters(),
      ...this.observations,
      ...this.administrations,
      ...this.adverseEvents,
      ...this.flags,
      ...this.provenances(),
    ];
    return {
      resourceType: 'Bundle',
      id: this.uuid('bundle'),
      identifier: { system: IDENTIFIER_SYSTEM.course, value: this.courseId },
      type: 'collection',
      timestamp: exportedAt,
      entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id!}`, resource })),
    };
  }

  // ------------------------------------------------------------------ events

  private map(fact: Fact): void {
    const { event, version, at, recordedAt } = fact;
    switch (event.type) {
      case 'CourseStarted':
      case 'CourseCompleted':
      case 'CourseWithdrawn':
        this.register(version, this.carePlan);
        if (event.type !== 'CourseStarted' && this.screeningEnd === null) this.screeningEnd = at;
        return;
      case 'InformedConsentRecorded': {
        const key = `consent|${version}`;
        const recording = event.data.consentsToRecording;
        this.consents.push({
          resourceType: 'Consent',
          id: this.uuid(key),
          status: 'active',
          scope: CONSENT_SCOPE_TREATMENT,
          category: [CONSENT_CATEGORY_PATIENT_CONSENT],
          patient: this.patient,
          dateTime: event.data.consentedAt,
          policy: [{ uri: consentFormUri(event.data.consentFormVersion) }],
          // Whether sessions may be recorded (asked since consent schema v2; null: not asked, nothing said) [I].
          ...(typeof recording === 'boolean'
            ? { provision: { type: recording ? 'permit' : 'deny', action: [concept([coding(LOCAL_SYSTEM.consentAction, 'record-sessions', 'Record the sessions')])] } as const }
            : {}),
        });
        this.register(version, this.ref(key));
        return;
      }
      case 'EligibilityCriterionRecorded': {
        const criterion = this.def?.screening.criteria.find((c) => c.id === event.data.criterionId);
        this.observation(fact, {
          code: concept([coding(LOCAL_SYSTEM.eligibilityCriterion, event.data.criterionId, criterion?.text)]),
          valueCodeableConcept: concept([coding(LOCAL_SYSTEM.criterionOutcome, event.data.outcome)]),
          encounter: this.screening,
        });
        return;
      }
      case 'MedicalClearanceRecorded':
        this.observation(fact, { code: concept([coding(LOCAL_SYSTEM.record, 'medical-clearance', 'Medical clearance')]), valueBoolean: event.data.cleared, encounter: this.screening });
        return;
      case 'EligibilityDetermined':
        this.screeningEnd = at;
        this.observation(fact, {
          code: concept([coding(LOCAL_SYSTEM.record, 'eligibility-determination', 'Eligibility determination')]),
          valueBoolean: event.data.eligible,
          encounter: this.screening,
        });
        return;
      case 'AssessmentRecorded': {
        const values = this.state.assessments.find((a) => a.version === version)?.values ?? event.data.values;
        const instrument = this.def?.instruments.find((i) => i.id === event.data.instrument);
        const timepoint = event.data.timepoint;
        const visit = this.def?.sessions.some((s) => s.key === timepoint);
        this.observation(fact, {
          category: [SURVEY_CATEGORY],
          code: concept(
            [instrument?.loinc ? coding(SYSTEM.loinc, instrument.loinc) : coding(LOCAL_SYSTEM.instrument, event.data.instrument, instrument?.title)],
            instrument?.title ?? event.data.instrument,
          ),
          component: this.components(event.data.instrument, instrument?.fields, values),
          // A visit's assessment belongs to the visit; a baseline to screening; an assessment point stands alone [I].
          ...(visit ? { encounter: this.encounterAt(timepoint, fact) } : timepoint === 'baseline' ? { encounter: this.screening } : {}),
        });
        return;
      }
      case 'SessionScheduled':
        this.touch(event.data.sessionKey, attemptOf(fact.before, event.data.sessionKey)).scheduledFor = event.data.scheduledFor;
        return;
      case 'SessionStarted':
        this.touch(event.data.sessionKey, attemptOf(fact.before, event.data.sessionKey)).startedAt = at;
        return;
      case 'SessionCompleted':
        this.touch(event.data.sessionKey, attemptOf(fact.before, event.data.sessionKey)).completedAt = at;
        return;
      case 'SessionMissed':
      case 'SessionCancelled':
        this.touch(event.data.sessionKey, attemptOf(fact.before, event.data.sessionKey)).ended = { how: event.type === 'SessionMissed' ? 'missed' : 'cancelled', at };
        return;
      case 'DoseAdministered':
      case 'SupplementalDoseAdministered': {
        const key = `dose|${version}`;
        const initial = event.type === 'DoseAdministered';
        this.administrations.push({
          resourceType: 'MedicationAdministration',
          id: this.uuid(key),
          status: 'completed',
          category: concept([coding(LOCAL_SYSTEM.doseKind, initial ? 'initial' : 'supplemental', initial ? 'Initial dose' : 'Supplemental dose')]),
          medicationCodeableConcept: { text: event.data.drug },
          subject: this.patient,
          context: this.encounterAt(event.data.sessionKey, fact),
          effectiveDateTime: at,
          dosage: { dose: { value: event.data.amountMg, ...MG } },
        });
        if (initial) this.doses.set(attemptKey(event.data.sessionKey, attemptOf(fact.before, event.data.sessionKey)), this.ref(key));
        this.register(version, this.ref(key));
        return;
      }
      case 'SupplementalDoseWithheld': {
        const key = `dose|${version}`;
        this.administrations.push({
          resourceType: 'MedicationAdministration',
          id: this.uuid(key),
          status: 'not-done',
          category: concept([coding(LOCAL_SYSTEM.doseKind, 'supplemental', 'Supplemental dose')]),
          medicationCodeableConcept: { text: this.def?.dosing.drug ?? 'unknown' },
          subject: this.patient,
          context: this.encounterAt(event.data.sessionKey, fact),
          effectiveDateTime: at,
        });
        this.register(version, this.ref(key));
        return;
      }
      case 'VitalsRecorded':
        this.vitals(fact, event.data.sessionKey);
        return;
      case 'MonitoringFormSubmitted': {
        const values = event.data.values;
        this.observation(fact, {
          code: concept([coding(LOCAL_SYSTEM.record, 'monitoring-form', 'Monitoring form')]),
          component: this.components('monitoring-form', this.def?.dosing.monitoringForm?.fields, values),
          encounter: this.encounterAt(event.data.sessionKey, fact),
        });
        return;
      }
      case 'AdverseEventReported':
        this.adverseEvent(fact, event.data.sessionKey, event.data.onsetAt, recordedAt);
        return;
      case 'SafetyHoldPlaced': {
        const key = `hold|${version}`;
        const hold = this.state.holds.find((h) => h.ref === version);
        this.flags.push({
          resourceType: 'Flag',
          id: this.uuid(key),
          status: hold?.clearedAt ? 'inactive' : 'active',
          category: [SAFETY_FLAG_CATEGORY],
          code: concept([coding(LOCAL_SYSTEM.record, 'safety-hold', 'Safety hold')], 'Safety hold: no dosing until it is cleared'),
          subject: this.patient,
          period: { start: hold?.placedAt ?? at, ...(hold?.clearedAt ? { end: hold.clearedAt } : {}) },
        });
        this.register(version, this.ref(key));
        return;
      }
      default:
        // Classifications, clearances and corrections change resources of earlier events (the state has
        // the result); alerts, notices and the remaining screening records are not part of the export [I].
        return;
    }
  }

  private observation(fact: Fact, fields: Omit<Observation, 'resourceType' | 'id' | 'status' | 'subject' | 'effectiveDateTime' | 'issued' | 'performer'>, suffix = ''): Reference {
    const key = `observation|${fact.version}${suffix}`;
    const corrected = this.state.corrections.some((c) => c.eventVersion === fact.version);
    this.observations.push({
      resourceType: 'Observation',
      id: this.uuid(key),
      ...(fields.meta ? { meta: fields.meta } : {}),
      status: corrected ? 'corrected' : 'final',
      ...(fields.category ? { category: fields.category } : {}),
      code: fields.code,
      subject: this.patient,
      ...(fields.encounter ? { encounter: fields.encounter } : {}),
      effectiveDateTime: fact.at,
      issued: fact.recordedAt,
      ...performerOf(fact),
      ...Object.fromEntries(Object.entries(fields).filter(([name]) => name.startsWith('value'))),
      ...(fields.component && fields.component.length > 0 ? { component: fields.component } : {}),
    });
    this.register(fact.version, this.ref(key));
    return this.ref(key);
  }

  /** One reading as the R4 vital-signs profiles want it: a blood-pressure panel, heart rate, body temperature. */
  private vitals(fact: Fact, sessionKey: string): void {
    // Corrected values, when a correction changed them.
    const reading = this.state.vitals.find((r) => r.version === fact.version);
    if (!reading) return;
    const encounter = this.encounterAt(sessionKey, fact);
    const loinc = (code: string, text: string) => concept([coding(SYSTEM.loinc, code)], text);
    this.observation(
      fact,
      {
        meta: { profile: [VITALS.bloodPressure.profile] },
        category: [VITAL_SIGNS_CATEGORY],
        code: loinc(VITALS.bloodPressure.loinc, VITALS.bloodPressure.text),
        encounter,
        component: [
          { code: loinc(VITALS.systolic.loinc, VITALS.systolic.text), valueQuantity: { value: reading.systolic, ...VITALS.systolic.unit } },
          { code: loinc(VITALS.diastolic.loinc, VITALS.diastolic.text), valueQuantity: { value: reading.diastolic, ...VITALS.diastolic.unit } },
        ],
      },
      '|blood-pressure',
    );
    this.observation(
      fact,
      {
        meta: { profile: [VITALS.heartRate.profile] },
        category: [VITAL_SIGNS_CATEGORY],
        code: loinc(VITALS.heartRate.loinc, VITALS.heartRate.text),
        encounter,
        valueQuantity: { value: reading.heartRate, ...VITALS.heartRate.unit },
      },
      '|heart-rate',
    );
    if (reading.temperatureC !== null && reading.temperatureC !== undefined) {
      this.observation(
        fact,
        {
          meta: { profile: [VITALS.bodyTemperature.profile] },
          category: [VITAL_SIGNS_CATEGORY],
          code: loinc(VITALS.bodyTemperature.loinc, VITALS.bodyTemperature.text),
          encounter,
          valueQuantity: { value: reading.temperatureC, ...VITALS.bodyTemperature.unit },
        },
        '|body-temperature',
      );
    }
  }

  /**
   * The values of an instrument or form as components, in the order its definition lists them. Text
   * fields (a rater's reference, a lot number) are left out, and so is any string value the definition
   * does not describe: it could be free text [I].
   */
  private components(instrumentId: string, fields: readonly OutcomeField[] | undefined, values: OutcomeValues): ObservationComponent[] {
    const known = fields ?? [];
    const names = [...known.map((f) => f.name), ...Object.keys(values).filter((n) => !known.some((f) => f.name === n)).sort()];
    const out: ObservationComponent[] = [];
    for (const name of names) {
      const value = values[name];
      if (value === undefined) continue;
      const field = known.find((f) => f.name === name);
      const typed = componentValue(field, value);
      if (!typed) continue;
      const code = field?.loinc ? coding(SYSTEM.loinc, field.loinc) : coding(LOCAL_SYSTEM.instrumentItem, `${instrumentId}.${name}`, field?.label);
      out.push({ code: concept([code], field?.label ?? name), ...typed });
    }
    return out;
  }

  private adverseEvent(fact: Fact, sessionKey: string | null, onsetAt: string, recordedAt: string): void {
    const key = `adverse-event|${fact.version}`;
    const record = this.state.adverseEvents.find((a) => a.ref === fact.version);
    const classification = record?.classification ?? null;
    const dose = sessionKey ? this.doses.get(attemptKey(sessionKey, attemptOf(fact.before, sessionKey))) : undefined;
    this.adverseEvents.push({
      resourceType: 'AdverseEvent',
      id: this.uuid(key),
      actuality: 'actual',
      ...(classification?.aesiCategory ? { category: [concept([coding(LOCAL_SYSTEM.aesiCategory, classification.aesiCategory)])] } : {}),
      subject: this.patient,
      ...(sessionKey ? { encounter: this.encounterAt(sessionKey, fact) } : {}),
      date: onsetAt,
      recordedDate: recordedAt,
      ...(classification
        ? { seriousness: classification.serious ? SERIOUSNESS.serious : SERIOUSNESS.nonSerious, severity: concept([SEVERITY[classification.severity]!]) }
        : record?.seriousSuspected
          ? { seriousness: { text: 'Serious suspected, not yet classified' } }
          : {}),
      // Causality is the reviewer's, on this service's own scale (not mapped onto WHO-UMC's) [I]; R4 carries
      // it only against a suspect, here the visit's initial dose when there was one.
      ...(dose
        ? { suspectEntity: [{ instance: dose, ...(classification ? { causality: [{ assessment: concept([coding(LOCAL_SYSTEM.causality, classification.causality)]) }] } : {}) }] }
        : {}),
    });
    this.register(fact.version, this.ref(key));
  }

  // ------------------------------------------------------------------ course-level resources

  private patientResource(): Patient {
    // The pseudonymous reference only: no name, birth date, gender, address or anything else.
    return { resourceType: 'Patient', id: this.uuid('patient'), identifier: [{ system: IDENTIFIER_SYSTEM.patientRef(this.siteId), value: this.patientRef }] };
  }

  private carePlanResource(): CarePlan {
    const { state, def } = this;
    const sessions = def?.sessions ?? [];
    return {
      resourceType: 'CarePlan',
      id: this.uuid('care-plan'),
      identifier: [{ system: IDENTIFIER_SYSTEM.course, value: this.courseId }],
      ...(state.protocol ? { instantiatesUri: [protocolUri(state.protocol.id, state.protocol.version)] } : {}),
      status: carePlanStatus(state),
      intent: 'plan',
      ...(def ? { title: def.title } : {}),
      subject: this.patient,
      ...(state.startedAt ? { period: { start: state.startedAt, ...(state.closedAt ? { end: state.closedAt } : {}) } } : {}),
      ...(this.facts[0] ? { created: this.facts[0].recordedAt } : {}),
      ...(sessions.length > 0
        ? {
            activity: sessions.map((s) => {
              const session = state.sessions.find((x) => x.key === s.key);
              const encounters = [...this.attemptsOf(s.key)].map((a) => this.ref(`encounter|${a.key}|${a.attempt}`));
              return {
                ...(encounters.length > 0 ? { outcomeReference: encounters } : {}),
                detail: {
                  kind: 'Appointment' as const,
                  code: concept([coding(LOCAL_SYSTEM.session, s.key, s.label)]),
                  status: session ? activityStatus(session, isCourseClosed(state)) : 'unknown',
                },
              };
            }),
          }
        : {}),
    };
  }

  /** Every attempt of a visit on record, and its current one, oldest first. */
  private attemptsOf(key: string): Attempt[] {
    const current = this.state.sessions.find((s) => s.key === key);
    if (current) this.touch(key, current.attempt);
    return [...this.attempts.values()].filter((a) => a.key === key).sort((a, b) => a.attempt - b.attempt);
  }

  private encounters(): Encounter[] {
    const closed = isCourseClosed(this.state);
    const screeningEnd = this.screeningEnd ?? (closed ? this.state.closedAt : null);
    const screening: Encounter = {
      resourceType: 'Encounter',
      id: this.uuid('encounter|screening'),
      status: screeningEnd ? 'finished' : 'in-progress',
      class: AMBULATORY,
      type: [concept([coding(LOCAL_SYSTEM.sessionKind, 'screening', 'Screening')], 'Screening')],
      subject: this.patient,
      ...(this.state.startedAt ? { period: { start: this.state.startedAt, ...(screeningEnd ? { end: screeningEnd } : {}) } } : {}),
      serviceProvider: this.site,
    };
    // The protocol's visits in its order, then any visit key the record names that the definition does not.
    const defined = this.def?.sessions ?? [];
    const keys = [...defined.map((s) => s.key), ...[...new Set([...this.attempts.values()].map((a) => a.key))].filter((k) => !defined.some((s) => s.key === k))];
    const visits = keys.flatMap((key) =>
      this.attemptsOf(key).map((a): Encounter => {
        const s = defined.find((d) => d.key === key) ?? { key, label: key, kind: 'visit' };
        const session = this.state.sessions.find((x) => x.key === key);
        const current = session && session.attempt === a.attempt && !a.ended;
        const status = current ? encounterStatus(session, closed) : a.startedAt ? 'finished' : 'cancelled';
        const start = current ? (session.startedAt ?? session.scheduledFor ?? undefined) : a.startedAt;
        const end = current ? (session.completedAt ?? undefined) : a.startedAt ? a.ended?.at : undefined;
        return {
          resourceType: 'Encounter',
          id: this.uuid(`encounter|${a.key}|${a.attempt}`),
          identifier: [{ system: `${IDENTIFIER_SYSTEM.course}/${encodeURIComponent(this.courseId)}/visit`, value: `${s.key}#${a.attempt}` }],
          status,
          class: AMBULATORY,
          type: [concept([coding(LOCAL_SYSTEM.sessionKind, s.kind), coding(LOCAL_SYSTEM.session, s.key, s.label)], s.label)],
          subject: this.patient,
          ...(start ? { period: { start, ...(end ? { end } : {}) } } : {}),
          serviceProvider: this.site,
        };
      }),
    );
    return [screening, ...visits];
  }

  /**
   * A Provenance per signature still valid (Part 11 §11.50 manifestation, §11.70 record hash): one per
   * signed command, whose targets are the resources its events became (a correction signs the corrected
   * record, a classification its adverse event, a clearance its hold). A signature voided by a correction
   * is not exported; the correction's own is.
   */
  private provenances(): Provenance[] {
    const groups = new Map<string, Fact[]>();
    for (const fact of this.facts) {
      const signature = (fact.event.data as { signature?: unknown }).signature;
      if (!signature || !this.state.signatures[String(fact.version)]) continue;
      const key = fact.event.metadata.commandId ?? `version-${fact.version}`;
      groups.set(key, [...(groups.get(key) ?? []), fact]);
    }
    return [...groups.entries()].map(([commandKey, facts]) => {
      const first = facts[0]!;
      const manifestation = this.state.signatures[String(first.version)]!;
      const targets = uniqueRefs(facts.flatMap((f) => this.targetsOf(f)));
      const meaning = SIGNATURE_MEANING[manifestation.meaning];
      const actor = first.event.metadata.actor;
      const signer: Reference = { type: 'Practitioner', identifier: { system: IDENTIFIER_SYSTEM.staff, value: manifestation.signerId }, display: manifestation.printedName };
      const data = manifestation.recordHash ? hexToBase64(manifestation.recordHash) : undefined;
      return {
        resourceType: 'Provenance',
        id: this.uuid(`provenance|${commandKey}`),
        target: targets.length > 0 ? targets : [this.carePlan],
        occurredDateTime: first.at,
        recorded: first.recordedAt,
        activity: first.event.type === 'EventCorrected' ? ACTIVITY.update : ACTIVITY.create,
        agent: [
          {
            ...(meaning ? { type: concept([meaning.participant]) } : {}),
            ...(actor && actor.id === manifestation.signerId ? { role: [concept([coding(LOCAL_SYSTEM.staffRole, actor.role)])] } : {}),
            who: signer,
          },
        ],
        signature: [
          {
            type: [coding(LOCAL_SYSTEM.signatureMeaning, manifestation.meaning), ...(meaning?.astm ? [meaning.astm] : [])],
            when: manifestation.signedAt,
            who: signer,
            ...(data ? { targetFormat: SIGNED_RECORD_FORMAT, data } : {}),
          },
        ],
      };
    });
  }

  private targetsOf(fact: Fact): Reference[] {
    const { event } = fact;
    switch (event.type) {
      case 'AdverseEventClassified':
        return this.byVersion.get(event.data.adverseEventRef) ?? [];
      case 'SafetyHoldCleared':
        return this.byVersion.get(event.data.holdRef) ?? [];
      case 'EventCorrected':
        return this.byVersion.get(event.data.eventVersion) ?? [];
      default:
        return this.byVersion.get(fact.version) ?? [];
    }
  }
}

// ------------------------------------------------------------------ status mappings (R4 value sets)

/** CarePlan.status: a hold puts the plan on hold; a withdrawal (or a failed screening) revokes it. */
export const carePlanStatus = (state: Pick<CourseState, 'status'>): CarePlanStatus => {
  switch (state.status) {
    case 'not_started':
      return 'draft';
    case 'active':
      return 'active';
    case 'on_hold':
      return 'on-hold';
    case 'withdrawn':
      return 'revoked';
    case 'completed':
      return 'completed';
    default: {
      const unknown: never = state.status;
      return unknown;
    }
  }
};

/**
 * Encounter.status of a visit's current attempt. On a closed course, a visit never begun is cancelled and
 * one begun but never completed is `unknown`: the record does not say how it ended [I].
 */
export const encounterStatus = (session: Pick<SessionState, 'status'>, courseClosed: boolean): EncounterStatus => {
  switch (session.status) {
    case 'pending':
    case 'scheduled':
      return courseClosed ? 'cancelled' : 'planned';
    case 'in_progress':
      return courseClosed ? 'unknown' : 'in-progress';
    case 'completed':
      return 'finished';
    default: {
      const unknown: never = session.status;
      return unknown;
    }
  }
};

/** CarePlan.activity.detail.status of a visit (a closed course stops what was under way and cancels the rest). */
export const activityStatus = (session: Pick<SessionState, 'status'>, courseClosed: boolean): CarePlanActivityStatus => {
  switch (session.status) {
    case 'pending':
      return courseClosed ? 'cancelled' : 'not-started';
    case 'scheduled':
      return courseClosed ? 'cancelled' : 'scheduled';
    case 'in_progress':
      return courseClosed ? 'stopped' : 'in-progress';
    case 'completed':
      return 'completed';
    default: {
      const unknown: never = session.status;
      return unknown;
    }
  }
};

/** A recorded value as the Observation value[x] its field's type calls for; `null` for what is not exported. */
const componentValue = (field: OutcomeField | undefined, value: string | number | boolean): ObservationValue | null => {
  if (field?.type === 'text') return null;
  if (typeof value === 'boolean') return { valueBoolean: value };
  if (typeof value === 'number') {
    if (field?.unit) {
      const ucum = UCUM_UNITS[field.unit];
      return { valueQuantity: { value, unit: field.unit, ...(ucum ? { system: SYSTEM.ucum, code: ucum } : {}) } };
    }
    return Number.isInteger(value) && field?.type !== 'number' && Math.abs(value) <= 2_147_483_647 ? { valueInteger: value } : { valueQuantity: { value } };
  }
  if (field?.type === 'datetime') return { valueDateTime: value };
  // An enum option is one of the definition's own words, not free text.
  if (field?.type === 'enum' && field.options?.includes(value)) return { valueString: value };
  return null;
};

/**
 * Who recorded an observation, as a Practitioner by staff id only (their printed name is in the
 * Provenance of a signed step). An outside system (role `integration`) or the workflow itself is no
 * practitioner: such an observation has no performer [I].
 */
const performerOf = (fact: Fact): Pick<Observation, 'performer'> => {
  const actor = fact.event.metadata.actor;
  if (!actor || actor.role === 'integration' || actor.role === 'system') return {};
  return { performer: [{ type: 'Practitioner', identifier: { system: IDENTIFIER_SYSTEM.staff, value: actor.id } }] };
};

const uniqueRefs = (refs: Reference[]): Reference[] => [...new Map(refs.map((r) => [r.reference, r])).values()];
