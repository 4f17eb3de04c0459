import { CancellationScope, condition, getExternalWorkflowHandle, isCancellation, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import {
  dischargedSignal,
  missedVitalsSignal,
  vitalsRecordedSignal,
  type DosingSessionInput,
  type DosingSessionOutcome,
} from '@care/contracts';

const at = (iso: string, plusMinutes: number): number => Date.parse(iso) + plusMinutes * 60_000;

/**
 * One dosing session, from the initial dose to discharge, as a child of the course workflow. It keeps
 * the protocol's vitals schedule: when a scheduled reading has not arrived by its target plus the grace
 * period, it tells the parent, which records an alert. It never writes events itself: the course
 * workflow stays the only writer of the course's stream.
 */
export async function dosingSession(input: DosingSessionInput): Promise<DosingSessionOutcome> {
  const readings: number[] = [];
  let dischargedAt: string | null = null;
  const missed: string[] = [];
  const parent = workflowInfo().parent;

  setHandler(vitalsRecordedSignal, ({ measuredAt }) => {
    readings.push(Date.parse(measuredAt));
  });
  setHandler(dischargedSignal, ({ at: when }) => {
    dischargedAt = when;
  });

  const watchSchedule = async (): Promise<void> => {
    const schedule = [...input.schedule].sort((a, b) => a.targetMinutes - b.targetMinutes);
    for (const reading of schedule) {
      // A dose entered late (enteredAt after doseAt) leaves the grace period after its entry for readings
      // already due, so readings taken on paper can be entered before an alert is raised.
      const deadline = Math.max(
        at(input.doseAt, reading.targetMinutes + input.graceMinutes),
        input.enteredAt ? at(input.enteredAt, input.graceMinutes) : 0,
      );
      const wait = deadline - Date.now();
      if (wait > 0) await sleep(wait);
      if (dischargedAt) return;
      const earliest = at(input.doseAt, reading.earliestMinutes);
      const recorded = readings.some((t) => t >= earliest && t <= deadline);
      if (!recorded) {
        missed.push(reading.label);
        if (parent) {
          // No run id: the course may have continued as new since this session started.
          await getExternalWorkflowHandle(parent.workflowId).signal(missedVitalsSignal, {
            sessionKey: input.sessionKey,
            attempt: input.attempt,
            label: reading.label,
            dueAt: new Date(at(input.doseAt, reading.targetMinutes)).toISOString(),
          });
        }
      }
    }
  };

  try {
    // The schedule watcher may still be sleeping towards a later reading when the patient is discharged.
    const watcherScope = new CancellationScope();
    const watcher = watcherScope.run(watchSchedule);
    await condition(() => dischargedAt !== null);
    watcherScope.cancel();
    await watcher.catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // The course was withdrawn or the visit cancelled: end cleanly, nothing left running.
    return {
      sessionKey: input.sessionKey,
      attempt: input.attempt,
      readingsRecorded: readings.length,
      missedReadings: missed,
      endedBy: 'cancelled',
      endedAt: new Date().toISOString(),
    };
  }
  return {
    sessionKey: input.sessionKey,
    attempt: input.attempt,
    readingsRecorded: readings.length,
    missedReadings: missed,
    endedBy: 'discharge',
    endedAt: dischargedAt ?? new Date().toISOString(),
  };
}
