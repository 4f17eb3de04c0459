import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { SecretBox, temporalDataConverter, createPayloadCodec } from '@care/crypto';
import { PeriodicTask, RecordKeepingDatabase } from '../record-keeping.database';
import { WebhookRelay } from './webhook-relay';

/** Runs the webhook relay in the worker, on the projections' interval. */
@Injectable()
export class WebhookRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookRelay');
  private task: PeriodicTask | null = null;
  private connection: Connection | null = null;

  constructor(private readonly database: RecordKeepingDatabase) {}

  onApplicationBootstrap(): void {
    const config = this.database.config;
    if (!config.webhooks.relayEnabled) return;
    let relay: WebhookRelay | null = null;
    this.task = new PeriodicTask(
      async () => {
        relay ??= new WebhookRelay({
          db: await this.database.get(),
          box: SecretBox.fromKeyFile(config.payloadCodec),
          client: new Client({
            connection: (this.connection ??= await Connection.connect({ address: config.temporal.address })),
            namespace: config.temporal.namespace,
            dataConverter: temporalDataConverter(createPayloadCodec(config.payloadCodec)),
          }),
          taskQueue: config.temporal.taskQueue,
          ...(config.webhooks.retryScheduleSeconds ? { scheduleSeconds: config.webhooks.retryScheduleSeconds } : {}),
          attemptTimeoutMs: config.webhooks.timeoutMs,
        });
        await relay.runOnce();
      },
      config.projections.pollIntervalMs,
      (error) => this.logger.warn(`webhook relay round failed, retrying later: ${(error as Error)?.name ?? 'error'}`),
    );
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
    await this.connection?.close();
  }
}
