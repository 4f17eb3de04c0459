import type { CodeableConcept, Coding } from './fhir-r4';

/*
 * The code systems, codes and units the FHIR export writes: a FHIR concern, kept here, away from the
 * protocol (which only names its instruments, and gives a LOINC code where its definition has one).
 * Sources: domain.md §3.1 (LOINC, vital signs, UCUM, R4 statuses) and the R4 core code systems as
 * HAPI FHIR 8.8.1 ships them (hapi-fhir-validation-resources-r4), which the offline validator checks
 * against. Codes marked [I] are this project's choices.
 */

/**
 * Root of this service's own code systems and identifier systems [I]. `.example` is reserved (RFC 2606):
 * nobody else can own it, and a deployment that moves to a domain of its own changes this one constant
 * (identifiers must then keep their old system too, or consumers see new patients).
 */
export const FHIR_BASE = 'https://mdma-care-backbone.example/fhir';

export const SYSTEM = {
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  adverseEventSeriousness: 'http://terminology.hl7.org/CodeSystem/adverse-event-seriousness',
  adverseEventSeverity: 'http://terminology.hl7.org/CodeSystem/adverse-event-severity',
  provenanceParticipantType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  signatureType: 'urn:iso-astm:E1762-95:2013',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  dataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  flagCategory: 'http://terminology.hl7.org/CodeSystem/flag-category',
} as const;

/** This service's code systems [I]: a code is the protocol's own id (instrument, criterion, session...). */
export const LOCAL_SYSTEM = {
  instrument: `${FHIR_BASE}/CodeSystem/instrument`,
  /** `<instrument id>.<field name>`: one value of an instrument or form. */
  instrumentItem: `${FHIR_BASE}/CodeSystem/instrument-item`,
  record: `${FHIR_BASE}/CodeSystem/record`,
  eligibilityCriterion: `${FHIR_BASE}/CodeSystem/eligibility-criterion`,
  criterionOutcome: `${FHIR_BASE}/CodeSystem/criterion-outcome`,
  session: `${FHIR_BASE}/CodeSystem/session`,
  sessionKind: `${FHIR_BASE}/CodeSystem/session-kind`,
  doseKind: `${FHIR_BASE}/CodeSystem/dose-kind`,
  consentAction: `${FHIR_BASE}/CodeSystem/consent-action`,
  causality: `${FHIR_BASE}/CodeSystem/adverse-event-causality`,
  aesiCategory: `${FHIR_BASE}/CodeSystem/aesi-category`,
  signatureMeaning: `${FHIR_BASE}/CodeSystem/signature-meaning`,
  staffRole: `${FHIR_BASE}/CodeSystem/staff-role`,
} as const;

/** Identifier systems [I]. A patient reference is pseudonymous per site, so its system names the site. */
export const IDENTIFIER_SYSTEM = {
  course: `${FHIR_BASE}/sid/course`,
  site: `${FHIR_BASE}/sid/site`,
  staff: `${FHIR_BASE}/sid/staff`,
  patientRef: (siteId: string): string => `${FHIR_BASE}/sid/site/${encodeURIComponent(siteId)}/patient-ref`,
} as const;

/** Where a protocol definition is read as data (GET /protocols/:id/versions/:v), as a stable URI [I]. */
export const protocolUri = (id: string, version: number): string => `${FHIR_BASE}/protocols/${encodeURIComponent(id)}/versions/${version}`;
/** The consent form a consent names, by its version [I]. */
export const consentFormUri = (version: string): string => `${FHIR_BASE}/consent-forms/${encodeURIComponent(version)}`;

export const coding = (system: string, code: string, display?: string): Coding => ({ system, code, ...(display !== undefined ? { display } : {}) });
export const concept = (codings: Coding[], text?: string): CodeableConcept => ({ coding: codings, ...(text !== undefined ? { text } : {}) });

/**
 * Vital signs (domain.md §3.1: R4 observation-vitalsignresult; UCUM units). Each is written with the R4
 * core profile for it, so the validator holds it to that profile. LOINC displays are left out (LOINC is
 * not available offline to check them); `text` is this service's own label.
 */
export const VITALS = {
  bloodPressure: { loinc: '85354-9', profile: 'http://hl7.org/fhir/StructureDefinition/bp', text: 'Blood pressure' },
  systolic: { loinc: '8480-6', text: 'Systolic blood pressure', unit: { unit: 'mmHg', system: SYSTEM.ucum, code: 'mm[Hg]' } },
  diastolic: { loinc: '8462-4', text: 'Diastolic blood pressure', unit: { unit: 'mmHg', system: SYSTEM.ucum, code: 'mm[Hg]' } },
  heartRate: { loinc: '8867-4', profile: 'http://hl7.org/fhir/StructureDefinition/heartrate', text: 'Heart rate', unit: { unit: 'beats/minute', system: SYSTEM.ucum, code: '/min' } },
  bodyTemperature: { loinc: '8310-5', profile: 'http://hl7.org/fhir/StructureDefinition/bodytemp', text: 'Body temperature', unit: { unit: 'Cel', system: SYSTEM.ucum, code: 'Cel' } },
} as const;

export const VITAL_SIGNS_CATEGORY = concept([coding(SYSTEM.observationCategory, 'vital-signs', 'Vital Signs')]);
export const SURVEY_CATEGORY = concept([coding(SYSTEM.observationCategory, 'survey', 'Survey')]);

/** The units protocol definitions use, as UCUM codes (`min` is UCUM's minute). Anything else is written without a system. */
export const UCUM_UNITS: Readonly<Record<string, string>> = { mg: 'mg', min: 'min' };
export const MG = { unit: 'mg', system: SYSTEM.ucum, code: 'mg' } as const;

/** Encounter.class: every visit of a course is ambulatory (the clinic's own rooms, also with an overnight stay) [I]. */
export const AMBULATORY = coding(SYSTEM.actCode, 'AMB', 'ambulatory');

/** Consent (R4: scope and category required): a treatment consent, LOINC "Patient Consent" from R4's consent-category value set. */
export const CONSENT_SCOPE_TREATMENT = concept([coding(SYSTEM.consentScope, 'treatment', 'Treatment')]);
export const CONSENT_CATEGORY_PATIENT_CONSENT = concept([coding(SYSTEM.loinc, '59284-0')], 'Patient consent');

/** R4 adverse-event-seriousness (the two top-level codes) and adverse-event-severity (required binding). */
export const SERIOUSNESS = {
  serious: concept([coding(SYSTEM.adverseEventSeriousness, 'Serious', 'Serious')]),
  nonSerious: concept([coding(SYSTEM.adverseEventSeriousness, 'Non-serious', 'Non-serious')]),
} as const;
export const SEVERITY: Readonly<Record<string, Coding>> = {
  mild: coding(SYSTEM.adverseEventSeverity, 'mild', 'Mild'),
  moderate: coding(SYSTEM.adverseEventSeverity, 'moderate', 'Moderate'),
  severe: coding(SYSTEM.adverseEventSeverity, 'severe', 'Severe'),
};

export const SAFETY_FLAG_CATEGORY = concept([coding(SYSTEM.flagCategory, 'safety', 'Safety')]);

/**
 * A Part 11 signature meaning (§11.50) as FHIR codes [I]: the meaning itself in this service's code
 * system (always written, the authoritative one), the ISO/ASTM E1762 signature type only where its
 * definition says the same (author; review), and the Provenance participant type of the signer.
 */
export const SIGNATURE_MEANING: Readonly<Record<string, { astm?: Coding; participant: Coding }>> = {
  authorship: { astm: coding(SYSTEM.signatureType, '1.2.840.10065.1.12.1.1', "Author's Signature"), participant: coding(SYSTEM.provenanceParticipantType, 'author', 'Author') },
  review: { astm: coding(SYSTEM.signatureType, '1.2.840.10065.1.12.1.13', 'Review Signature'), participant: coding(SYSTEM.provenanceParticipantType, 'verifier', 'Verifier') },
  approval: { participant: coding(SYSTEM.provenanceParticipantType, 'attester', 'Attester') },
  responsibility: { participant: coding(SYSTEM.provenanceParticipantType, 'legal', 'Legal Authenticator') },
};

export const ACTIVITY = {
  create: concept([coding(SYSTEM.dataOperation, 'CREATE', 'create')]),
  update: concept([coding(SYSTEM.dataOperation, 'UPDATE', 'revise')]),
} as const;

/** How the signed record is fixed (§11.70): SHA-256 of its RFC 8785 canonical JSON, carried in Signature.data. */
export const SIGNED_RECORD_FORMAT = 'application/json';
