import { findProtocol, listProtocols } from '@care/protocol';
import { activityStatus, carePlanStatus, courseBundle, encounterStatus, resourceUuid, type RecordedEvent } from './course-bundle';
import { IDENTIFIER_SYSTEM, LOCAL_SYSTEM, SYSTEM } from './fhir-codes';
import type { AdverseEvent, Bundle, CarePlan, Consent, CourseResource, Encounter, Flag, MedicationAdministration, Observation, Provenance } from './fhir-r4';
import { completeCourses, safetyCourse } from './testing/course-records';

const EXPORTED_AT = '2026-10-01T00:00:00.000Z';
const build = (events: RecordedEvent[]): Bundle => courseBundle(events, { exportedAt: EXPORTED_AT });
const ofType = <T extends CourseResource>(bundle: Bundle, type: T['resourceType']): T[] =>
  bundle.entry.map((e) => e.resource).filter((r): r is T => r.resourceType === type);
const byRef = (bundle: Bundle, reference: string | undefined) => bundle.entry.find((e) => e.fullUrl === reference)?.resource;
const loincOf = (o: { code: { coding?: { system?: string; code?: string }[] } }) => o.code.coding?.find((c) => c.system === SYSTEM.loinc)?.code;
/** Every value of `key` anywhere in the document. */
const valuesOf = (value: unknown, key: string): unknown[] =>
  Array.isArray(value)
    ? value.flatMap((v) => valuesOf(v, key))
    : value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => [...(k === key ? [v] : []), ...valuesOf(v, key)])
      : [];

describe('courseBundle: a complete course of each protocol definition', () => {
  const courses = completeCourses();

  it('covers every shipped protocol definition', () => {
    expect(courses.map((c) => c.name).sort()).toEqual(listProtocols().map((d) => `${d.id}-v${d.version}`).sort());
  });

  describe.each(courses)('$name', ({ events }) => {
    const bundle = build(events);
    const started = events[0]!.data as { courseId: string; patientRef: string; siteId: string; protocolId: string; protocolVersion: number };
    const def = findProtocol(started.protocolId, started.protocolVersion)!;

    it('is a collection whose entries are full urn:uuid URLs of their resources, every reference resolving inside it', () => {
      expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection', timestamp: EXPORTED_AT, identifier: { system: IDENTIFIER_SYSTEM.course, value: started.courseId } });
      for (const entry of bundle.entry) expect(entry.fullUrl).toBe(`urn:uuid:${entry.resource.id}`);
      expect(new Set(bundle.entry.map((e) => e.fullUrl)).size).toBe(bundle.entry.length);
      const references = valuesOf(bundle, 'reference') as string[];
      expect(references.length).toBeGreaterThan(0);
      for (const reference of references) expect({ reference, found: byRef(bundle, reference) !== undefined }).toEqual({ reference, found: true });
    });

    it('is the same document on every export of the same record (ids derived from the course)', () => {
      expect(build(events)).toEqual(bundle);
      expect(bundle.entry[0]!.resource.id).toBe(resourceUuid(started.courseId, 'patient'));
      expect(resourceUuid(started.courseId, 'patient')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('names the patient by the pseudonymous reference only', () => {
      const [patient, ...others] = ofType(bundle, 'Patient');
      expect(others).toEqual([]);
      expect(patient).toEqual({ resourceType: 'Patient', id: expect.any(String), identifier: [{ system: IDENTIFIER_SYSTEM.patientRef(started.siteId), value: started.patientRef }] });
    });

    it('has a completed CarePlan of the protocol, with one activity per visit, each completed and pointing to its encounter', () => {
      const [plan] = ofType<CarePlan>(bundle, 'CarePlan');
      expect(plan).toMatchObject({ status: 'completed', intent: 'plan', title: def.title, instantiatesUri: [expect.stringContaining(`/protocols/${def.id}/versions/${def.version}`)] });
      expect(plan!.activity!.map((a) => a.detail!.code!.coding![0]!.code)).toEqual(def.sessions.map((s) => s.key));
      expect(plan!.activity!.every((a) => a.detail!.status === 'completed' && byRef(bundle, a.outcomeReference![0]!.reference)?.resourceType === 'Encounter')).toBe(true);
    });

    it('has a finished Encounter for screening and for every visit, with its period', () => {
      const encounters = ofType<Encounter>(bundle, 'Encounter');
      expect(encounters).toHaveLength(def.sessions.length + 1);
      for (const e of encounters) expect(e).toMatchObject({ status: 'finished', class: { code: 'AMB' }, period: { start: expect.any(String), end: expect.any(String) } });
    });

    it('codes every vital-sign reading in LOINC with UCUM units, under the R4 vital-signs profiles, at its measured time', () => {
      const readings = events.filter((e) => e.type === 'VitalsRecorded');
      expect(readings.length).toBeGreaterThan(0);
      const vitals = ofType<Observation>(bundle, 'Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'vital-signs');
      const bp = vitals.filter((o) => loincOf(o) === '85354-9');
      expect(bp).toHaveLength(readings.length);
      for (const [i, o] of bp.entries()) {
        const reading = readings[i]!;
        expect(o.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bp']);
        expect(o.effectiveDateTime).toBe(reading.data['measuredAt']);
        expect(o.issued).toBe(reading.recordedAt);
        expect(o.component!.map((c) => [loincOf(c), c.valueQuantity])).toEqual([
          ['8480-6', { value: reading.data['systolic'], unit: 'mmHg', system: SYSTEM.ucum, code: 'mm[Hg]' }],
          ['8462-4', { value: reading.data['diastolic'], unit: 'mmHg', system: SYSTEM.ucum, code: 'mm[Hg]' }],
        ]);
        expect(byRef(bundle, o.encounter?.reference)?.resourceType).toBe('Encounter');
      }
      const hr = vitals.filter((o) => loincOf(o) === '8867-4');
      expect(hr.map((o) => o.valueQuantity)).toEqual(readings.map((r) => ({ value: r.data['heartRate'], unit: 'beats/minute', system: SYSTEM.ucum, code: '/min' })));
      const temperature = vitals.filter((o) => loincOf(o) === '8310-5');
      expect(temperature.map((o) => o.valueQuantity)).toEqual(readings.map((r) => ({ value: r.data['temperatureC'], unit: 'Cel', system: SYSTEM.ucum, code: 'Cel' })));
    });

    it('has an Observation per assessment, coded by the definition (LOINC where it names one), without text values', () => {
      const recorded = events.filter((e) => e.type === 'AssessmentRecorded');
      const surveys = ofType<Observation>(bundle, 'Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'survey');
      expect(surveys).toHaveLength(recorded.length);
      for (const [i, o] of surveys.entries()) {
        const instrument = def.instruments.find((d) => d.id === recorded[i]!.data['instrument'])!;
        expect(o.code.coding).toEqual([instrument.loinc ? { system: SYSTEM.loinc, code: instrument.loinc } : { system: LOCAL_SYSTEM.instrument, code: instrument.id, display: instrument.title }]);
        expect(o.effectiveDateTime).toBe(recorded[i]!.data['performedAt']);
      }
      if (def.instruments.some((i) => i.id === 'PCL-5')) {
        const pcl = surveys.find((o) => loincOf(o) === '101697-1')!;
        expect(pcl.component).toEqual([{ code: { coding: [{ system: SYSTEM.loinc, code: '101698-9' }], text: 'Total score' }, valueInteger: 35 }]);
        // Sent by an outside system: no practitioner performed it.
        expect(pcl.performer).toBeUndefined();
      }
      // The CAPS-5 rater reference is a text field: never exported.
      expect(JSON.stringify(bundle)).not.toContain('IR-7');
    });

    it('has a MedicationAdministration per dose given, in mg, at its clinical time, in its visit', () => {
      const doses = events.filter((e) => e.type === 'DoseAdministered' || e.type === 'SupplementalDoseAdministered');
      const given = ofType<MedicationAdministration>(bundle, 'MedicationAdministration');
      expect(given.map((m) => [m.status, m.effectiveDateTime, m.dosage?.dose, m.medicationCodeableConcept.text])).toEqual(
        doses.map((d) => ['completed', d.data['performedAt'], { value: d.data['amountMg'], unit: 'mg', system: SYSTEM.ucum, code: 'mg' }, def.dosing.drug]),
      );
      for (const m of given) expect(byRef(bundle, m.context?.reference)?.resourceType).toBe('Encounter');
    });

    it('has the Consent with the R4 elements (status, scope, category, policy)', () => {
      const [consent] = ofType<Consent>(bundle, 'Consent');
      const recorded = events.find((e) => e.type === 'InformedConsentRecorded')!;
      expect(consent).toMatchObject({ status: 'active', scope: { coding: [{ code: 'treatment' }] }, category: [{ coding: [{ system: SYSTEM.loinc, code: '59284-0' }] }], dateTime: recorded.data['consentedAt'] });
      expect(consent!.policy![0]!.uri).toContain('/consent-forms/');
    });

    it('has a Provenance per signed step: signer, meaning, time and the record hash, targeting what was signed', () => {
      const signed = events.filter((e) => (e.data as { signature?: unknown }).signature);
      const provenances = ofType<Provenance>(bundle, 'Provenance');
      expect(provenances).toHaveLength(new Set(signed.map((e) => e.metadata['commandId'])).size);
      for (const [i, p] of provenances.entries()) {
        const event = signed[i]!;
        const manifestation = event.data['signature'] as { signerId: string; printedName: string; signedAt: string; meaning: string; recordHash: string };
        expect(manifestation.recordHash).toMatch(/^[0-9a-f]{64}$/);
        const [signature] = p.signature!;
        expect(signature).toMatchObject({ when: manifestation.signedAt, targetFormat: 'application/json', who: { identifier: { value: manifestation.signerId }, display: manifestation.printedName } });
        expect(Buffer.from(signature!.data!, 'base64').toString('hex')).toBe(manifestation.recordHash);
        expect(signature!.type[0]).toEqual({ system: LOCAL_SYSTEM.signatureMeaning, code: manifestation.meaning });
        expect(p.recorded).toBe(event.recordedAt);
        expect(p.agent[0]!.who).toEqual(signature!.who);
        for (const target of p.target) expect(byRef(bundle, target.reference)).toBeDefined();
      }
      const dose = provenances.find((p) => p.signature![0]!.type[0]!.code === 'responsibility' && byRef(bundle, p.target[0]!.reference)?.resourceType === 'MedicationAdministration');
      expect(dose === undefined).toBe(!def.signatures.AdministerDose);
    });

    it('writes no free text of the record (evidence, reasons) and no other person’s reference', () => {
      const text = JSON.stringify(bundle);
      for (const secret of ['Screening interview and records', 'ECG and labs normal', 'EC-1', 'ESC-1', 'ESC-2', 'LOT-1', 'LOT-9']) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    });
  });
});

describe('courseBundle: the safety path', () => {
  const events = safetyCourse();
  const bundle = build(events);

  it('puts the plan on hold while a hold stands, revokes it on withdrawal', () => {
    const onHold = events.slice(0, events.findIndex((e) => e.type === 'SafetyHoldPlaced') + 1);
    expect(ofType<CarePlan>(build(onHold), 'CarePlan')[0]!.status).toBe('on-hold');
    expect(ofType<CarePlan>(bundle, 'CarePlan')[0]!.status).toBe('revoked');
  });

  it('records the adverse event as R4 has it: actual, serious, severity, category, the visit and the suspect dose with causality', () => {
    const [ae] = ofType<AdverseEvent>(bundle, 'AdverseEvent');
    const reported = events.find((e) => e.type === 'AdverseEventReported')!;
    expect(ae).toMatchObject({
      actuality: 'actual',
      date: reported.data['onsetAt'],
      recordedDate: reported.recordedAt,
      seriousness: { coding: [{ system: SYSTEM.adverseEventSeriousness, code: 'Serious' }] },
      severity: { coding: [{ system: SYSTEM.adverseEventSeverity, code: 'moderate' }] },
      category: [{ coding: [{ code: 'cardiac' }] }],
      suspectEntity: [{ causality: [{ assessment: { coding: [{ code: 'possible' }] } }] }],
    });
    expect(byRef(bundle, ae!.suspectEntity![0]!.instance.reference)?.resourceType).toBe('MedicationAdministration');
    expect(byRef(bundle, ae!.encounter?.reference)).toMatchObject({ resourceType: 'Encounter', status: 'unknown' });
    // The reporter's description is free text: not exported.
    expect(JSON.stringify(bundle)).not.toContain('Chest pain');
    // Before the classification: suspected serious, no coded seriousness.
    const unclassified = build(events.slice(0, events.findIndex((e) => e.type === 'AdverseEventClassified')));
    expect(ofType<AdverseEvent>(unclassified, 'AdverseEvent')[0]).toMatchObject({ seriousness: { text: expect.stringContaining('suspected') } });
    expect(ofType<AdverseEvent>(unclassified, 'AdverseEvent')[0]!.severity).toBeUndefined();
  });

  it('shows the hold as a safety Flag, inactive once cleared, and the clearance signed on it', () => {
    expect(ofType<Flag>(bundle, 'Flag')).toEqual([expect.objectContaining({ status: 'active', category: [{ coding: [expect.objectContaining({ code: 'safety' })] }] })]);
    const cleared = build(safetyCourse({ holdCleared: true }));
    const [flag] = ofType<Flag>(cleared, 'Flag');
    expect(flag).toMatchObject({ status: 'inactive', period: { start: expect.any(String), end: expect.any(String) } });
    const approval = ofType<Provenance>(cleared, 'Provenance').find((p) => p.signature![0]!.type[0]!.code === 'approval' && p.target[0]!.reference === `urn:uuid:${flag!.id}`);
    expect(approval).toBeDefined();
  });

  it('marks a corrected reading `corrected` with its corrected value, and its Provenance (UPDATE) signs the corrected record', () => {
    const correction = events.find((e) => e.type === 'EventCorrected')!;
    const reading = events.find((e) => e.streamVersion === correction.data['eventVersion'])!;
    const hr = ofType<Observation>(bundle, 'Observation').find((o) => loincOf(o) === '8867-4' && o.effectiveDateTime === reading.data['measuredAt'])!;
    expect(hr).toMatchObject({ status: 'corrected', valueQuantity: { value: 89 } });
    const update = ofType<Provenance>(bundle, 'Provenance').filter((p) => p.activity?.coding?.[0]?.code === 'UPDATE');
    expect(update).toHaveLength(1);
    expect(update[0]!.target.map((t) => t.reference)).toContain(`urn:uuid:${hr.id}`);
  });

  it('keeps a missed attempt as a cancelled Encounter beside the attempt that took place; a visit under way at withdrawal is `unknown`, the rest cancelled', () => {
    const encounters = ofType<Encounter>(bundle, 'Encounter');
    const prep1 = encounters.filter((e) => e.identifier?.[0]?.value?.startsWith('prep-1#'));
    expect(prep1.map((e) => [e.identifier![0]!.value, e.status])).toEqual([
      ['prep-1#1', 'cancelled'],
      ['prep-1#2', 'finished'],
    ]);
    expect(encounters.find((e) => e.identifier?.[0]?.value === 'dosing-1#1')!.status).toBe('unknown');
    expect(encounters.find((e) => e.identifier?.[0]?.value === 'dosing-3#1')!.status).toBe('cancelled');
    const plan = ofType<CarePlan>(bundle, 'CarePlan')[0]!;
    expect(plan.activity!.find((a) => a.detail!.code!.coding![0]!.code === 'dosing-1')!.detail!.status).toBe('stopped');
    expect(plan.activity!.find((a) => a.detail!.code!.coding![0]!.code === 'prep-1')!.outcomeReference).toHaveLength(2);
  });

  it('refuses a record that does not start with CourseStarted', () => {
    expect(() => build(events.slice(1))).toThrow('CourseStarted');
  });
});

describe('R4 status mappings', () => {
  it('maps every course status to a CarePlan status', () => {
    expect((['not_started', 'active', 'on_hold', 'withdrawn', 'completed'] as const).map((status) => carePlanStatus({ status }))).toEqual(['draft', 'active', 'on-hold', 'revoked', 'completed']);
  });

  it('maps every visit status to an Encounter and an activity status, open or closed', () => {
    const statuses = ['pending', 'scheduled', 'in_progress', 'completed'] as const;
    expect(statuses.map((status) => encounterStatus({ status }, false))).toEqual(['planned', 'planned', 'in-progress', 'finished']);
    expect(statuses.map((status) => encounterStatus({ status }, true))).toEqual(['cancelled', 'cancelled', 'unknown', 'finished']);
    expect(statuses.map((status) => activityStatus({ status }, false))).toEqual(['not-started', 'scheduled', 'in-progress', 'completed']);
    expect(statuses.map((status) => activityStatus({ status }, true))).toEqual(['cancelled', 'cancelled', 'stopped', 'completed']);
  });
});
