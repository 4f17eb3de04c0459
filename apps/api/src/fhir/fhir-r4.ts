/*
 * The FHIR R4 (4.0.1) types the course export writes: only the elements it uses, with every required
 * value set as a union, so that a status outside R4's codes does not compile. Written from the R4
 * specification because the installed `@types/fhir` 3.0.2 describes STU3 (namespace `fhir`, no `fhir4`):
 * several of the resources below differ in R4 (Consent, Provenance.target/signature, AdverseEvent).
 * The offline HAPI validator (tools/fhir-validator) checks the documents themselves.
 */

export type Coding = { system?: string; version?: string; code?: string; display?: string };
export type CodeableConcept = { coding?: Coding[]; text?: string };
export type Identifier = { system?: string; value?: string };
export type Reference = { reference?: string; type?: string; identifier?: Identifier; display?: string };
export type Period = { start?: string; end?: string };
export type Quantity = { value?: number; unit?: string; system?: string; code?: string };
export type Meta = { profile?: string[] };

/** R4 Signature (a datatype). `when` is an instant; `data` is base64. */
export type Signature = {
  type: Coding[];
  when: string;
  who: Reference;
  targetFormat?: string;
  sigFormat?: string;
  data?: string;
};

type DomainResource = { id?: string; meta?: Meta };

export type Patient = DomainResource & { resourceType: 'Patient'; identifier: Identifier[] };

/** R4 request-status (CarePlan.status) and care-plan-activity-status. */
export type CarePlanStatus = 'draft' | 'active' | 'on-hold' | 'revoked' | 'completed' | 'entered-in-error' | 'unknown';
export type CarePlanActivityStatus = 'not-started' | 'scheduled' | 'in-progress' | 'on-hold' | 'completed' | 'cancelled' | 'stopped' | 'unknown' | 'entered-in-error';
export type CarePlan = DomainResource & {
  resourceType: 'CarePlan';
  identifier?: Identifier[];
  instantiatesUri?: string[];
  status: CarePlanStatus;
  intent: 'proposal' | 'plan' | 'order' | 'option';
  title?: string;
  subject: Reference;
  period?: Period;
  created?: string;
  activity?: {
    outcomeReference?: Reference[];
    detail?: {
      kind?: 'Appointment' | 'CommunicationRequest' | 'DeviceRequest' | 'MedicationRequest' | 'NutritionOrder' | 'Task' | 'ServiceRequest' | 'VisionPrescription';
      code?: CodeableConcept;
      status: CarePlanActivityStatus;
      description?: string;
    };
  }[];
};

export type EncounterStatus = 'planned' | 'arrived' | 'triaged' | 'in-progress' | 'onleave' | 'finished' | 'cancelled' | 'entered-in-error' | 'unknown';
export type Encounter = DomainResource & {
  resourceType: 'Encounter';
  identifier?: Identifier[];
  status: EncounterStatus;
  class: Coding;
  type?: CodeableConcept[];
  subject: Reference;
  period?: Period;
  serviceProvider?: Reference;
};

export type ObservationStatus = 'registered' | 'preliminary' | 'final' | 'amended' | 'corrected' | 'cancelled' | 'entered-in-error' | 'unknown';
/** The value[x] choices the export uses. */
export type ObservationValue = {
  valueQuantity?: Quantity;
  valueCodeableConcept?: CodeableConcept;
  valueString?: string;
  valueBoolean?: boolean;
  valueInteger?: number;
  valueDateTime?: string;
};
export type ObservationComponent = { code: CodeableConcept } & ObservationValue;
export type Observation = DomainResource &
  ObservationValue & {
    resourceType: 'Observation';
    status: ObservationStatus;
    category?: CodeableConcept[];
    code: CodeableConcept;
    subject: Reference;
    encounter?: Reference;
    effectiveDateTime?: string;
    issued?: string;
    performer?: Reference[];
    component?: ObservationComponent[];
  };

export type MedicationAdministrationStatus = 'in-progress' | 'not-done' | 'on-hold' | 'completed' | 'entered-in-error' | 'stopped' | 'unknown';
export type MedicationAdministration = DomainResource & {
  resourceType: 'MedicationAdministration';
  status: MedicationAdministrationStatus;
  category?: CodeableConcept;
  medicationCodeableConcept: CodeableConcept;
  subject: Reference;
  context?: Reference;
  effectiveDateTime: string;
  dosage?: { dose?: Quantity };
};

export type AdverseEvent = DomainResource & {
  resourceType: 'AdverseEvent';
  actuality: 'actual' | 'potential';
  category?: CodeableConcept[];
  event?: CodeableConcept;
  subject: Reference;
  encounter?: Reference;
  date?: string;
  recordedDate?: string;
  seriousness?: CodeableConcept;
  severity?: CodeableConcept;
  suspectEntity?: { instance: Reference; causality?: { assessment?: CodeableConcept }[] }[];
};

export type ConsentStatus = 'draft' | 'proposed' | 'active' | 'rejected' | 'inactive' | 'entered-in-error';
export type ConsentProvision = { type?: 'deny' | 'permit'; action?: CodeableConcept[]; provision?: ConsentProvision[] };
export type Consent = DomainResource & {
  resourceType: 'Consent';
  status: ConsentStatus;
  scope: CodeableConcept;
  category: CodeableConcept[];
  patient: Reference;
  dateTime?: string;
  policy?: { authority?: string; uri?: string }[];
  provision?: ConsentProvision;
};

export type Flag = DomainResource & {
  resourceType: 'Flag';
  status: 'active' | 'inactive' | 'entered-in-error';
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject: Reference;
  period?: Period;
};

export type Provenance = DomainResource & {
  resourceType: 'Provenance';
  target: Reference[];
  occurredDateTime?: string;
  recorded: string;
  activity?: CodeableConcept;
  agent: { type?: CodeableConcept; role?: CodeableConcept[]; who: Reference }[];
  signature?: Signature[];
};

export type CourseResource = Patient | CarePlan | Encounter | Observation | MedicationAdministration | AdverseEvent | Consent | Flag | Provenance;

export type Bundle = {
  resourceType: 'Bundle';
  id?: string;
  identifier?: Identifier;
  type: 'collection';
  timestamp?: string;
  entry: { fullUrl: string; resource: CourseResource }[];
};
