import { bool, commandData, dateTime, identifier, oneOf, sessionKey, signature, streamVersion, text, timed } from '../fields';

/*
 * Safety: alerts, adverse events (every event is recorded first; seriousness, special interest and
 * causality are classified afterwards) and safety holds, which stop dosing until cleared.
 */

export const CAUSALITIES = ['not_related', 'unlikely', 'possible', 'probable', 'definite'] as const;
export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;

export const RaiseAlertData = commandData(
  {
    title: 'Raise an alert',
    description: 'Raises an alert for the care team (e.g. a concern during a visit). Alerts from vital signs above the limits are raised by the record itself.',
    example: { sessionKey: 'dosing-1', reason: 'Patient reports chest tightness' },
  },
  {
    sessionKey: sessionKey()
      .optional()
      .meta({ description: 'The visit the alert is about, if any (its key in the protocol).', examples: ['dosing-1'] }),
    reason: text(500).meta({ description: 'What the alert is about (at most 500 characters).', examples: ['Patient reports chest tightness'] }),
    ...timed(),
    signature: signature(),
  },
);

export const ReportAdverseEventData = commandData(
  {
    title: 'Report an adverse event',
    description:
      'Records an adverse event as reported: every event, including ones that seem positive (e.g. euphoria). A suspected serious event places a safety hold at once. Classification follows with ClassifyAdverseEvent.',
    example: {
      description: 'Headache and nausea starting about 3 hours after the dose',
      onsetAt: '2026-02-03T11:10:00Z',
      sessionKey: 'dosing-1',
      seriousSuspected: false,
    },
  },
  {
    description: text(2000).meta({ description: 'What happened, in the reporter\'s words (at most 2000 characters).', examples: ['Headache and nausea'] }),
    onsetAt: dateTime().meta({ description: 'When the event began (UTC). Not in the future.' }),
    sessionKey: sessionKey()
      .optional()
      .meta({ description: 'The visit during which the event began, if any (its key in the protocol).', examples: ['dosing-1'] }),
    seriousSuspected: bool()
      .optional()
      .meta({ description: 'Whether the event is suspected to be serious (default false): if true, a safety hold is placed at once.' }),
    signature: signature(),
  },
);

export const ClassifyAdverseEventData = commandData(
  {
    title: 'Classify an adverse event',
    description:
      'Records the medical review of a reported adverse event: seriousness, adverse event of special interest (AESI) category, causality and severity. A serious event places a safety hold if none is in place for it. Signed.',
    example: { adverseEventRef: 14, serious: false, causality: 'possible', severity: 'mild', signature: { meaning: 'review' } },
  },
  {
    adverseEventRef: streamVersion().meta({
      description: 'The adverse event, by the position (stream version) of its AdverseEventReported event in the course record.',
      examples: [14],
    }),
    serious: bool().meta({ description: 'Whether the event is serious (a serious adverse event, SAE).' }),
    aesiCategory: identifier()
      .optional()
      .meta({
        description: "The protocol's category of special interest the event belongs to, if any (e.g. `suicidality`, `cardiac`, `abuse_misuse_diversion`).",
        examples: ['cardiac'],
      }),
    causality: oneOf(CAUSALITIES).meta({
      description: 'How likely the treatment caused the event: `not_related`, `unlikely`, `possible`, `probable` or `definite`.',
    }),
    severity: oneOf(SEVERITIES).meta({ description: 'How severe the event is: `mild`, `moderate` or `severe`.' }),
    signature: signature(),
  },
);

export const PlaceSafetyHoldData = commandData(
  {
    title: 'Place a safety hold',
    description: 'Stops dosing for the course until the hold is cleared: no dosing visit starts and no dose is given while it stands.',
    example: { reason: 'QTc prolongation on routine ECG; cardiology review pending' },
  },
  {
    reason: text(500).meta({ description: 'Why dosing is held (at most 500 characters).', examples: ['Cardiology review pending'] }),
    signature: signature(),
  },
);

export const ClearSafetyHoldData = commandData(
  {
    title: 'Clear a safety hold',
    description: 'Lifts one safety hold, with the reason it may be lifted. Signed.',
    example: { holdRef: 15, reason: 'Cardiology review: no contraindication to continue', signature: { meaning: 'approval' } },
  },
  {
    holdRef: streamVersion().meta({
      description: 'The hold, by the position (stream version) of its SafetyHoldPlaced event in the course record.',
      examples: [15],
    }),
    reason: text(500).meta({ description: 'Why the hold can be lifted (at most 500 characters).', examples: ['Cardiology review: no contraindication'] }),
    signature: signature(),
  },
);
