import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CheckpointSigner, integrateLedger, type IntegrationResult } from '@care/event-store';
import { PeriodicTask, RecordKeepingDatabase } from '../record-keeping.database';

/**
 * Appends new events and read accesses to the signed ledger every LEDGER_INTEGRATE_INTERVAL_MS.
 * Several workers may run it; the advisory lock lets one integrate while the others skip.
 */
@Injectable()
export class LedgerIntegratorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LedgerIntegrator');
  private task: PeriodicTask | null = null;
  private signer: CheckpointSigner | null = null;

  constructor(private readonly database: RecordKeepingDatabase) {}

  onApplicationBootstrap(): void {
    this.task = new PeriodicTask(
      async () => {
        await this.integrateNow();
      },
      this.database.config.ledger.integrateIntervalMs,
      (error) => this.logger.warn(`integration failed, retrying later: ${(error as Error)?.name ?? 'error'}`),
    );
    this.task.start();
  }

  /** Integrates everything settled now and signs a checkpoint (on demand, and from the timer). */
  async integrateNow(): Promise<IntegrationResult> {
    const { ledger } = this.database.config;
    this.signer ??= CheckpointSigner.fromFile(ledger.signingKeyFile, ledger.generateSigningKey);
    const result = await integrateLedger(await this.database.get(), this.signer, { origin: ledger.origin });
    if (result.integrated > 0) this.logger.log(`checkpoint signed: ${result.treeSize} entries`);
    return result;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }
}
