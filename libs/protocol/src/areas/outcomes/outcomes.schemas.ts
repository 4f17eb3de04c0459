import { commandData, identifier, outcomeValues, signature, timed } from '../fields';

/*
 * Outcomes: the rating scales and questionnaires of the protocol (CAPS-5, C-SSRS, ...), recorded at
 * baseline, during a visit, or at an assessment time point in its window.
 */

export const RecordAssessmentData = commandData(
  {
    title: 'Record an assessment',
    description:
      "Records one instrument's values at one time point: `baseline` (during screening), a visit in progress, or one of the protocol's assessment points. The instrument's items, types and ranges are protocol data (see GET /protocols).",
    example: { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 42, ptsdDiagnosis: true, raterRef: 'IR-07' } },
  },
  {
    instrument: identifier().meta({ description: 'The instrument, by its id in the protocol.', examples: ['CAPS-5'] }),
    timepoint: identifier().meta({
      description: "`baseline`, the key of the visit in progress (e.g. `prep-1`), or an assessment point of the protocol (e.g. `caps5-endpoint`).",
      examples: ['baseline'],
    }),
    values: outcomeValues().meta({
      description: "The instrument's items by name (letters, digits and `_`, at most 100): numbers, booleans or texts of at most 1000 characters.",
    }),
    ...timed(),
    signature: signature(),
  },
);
