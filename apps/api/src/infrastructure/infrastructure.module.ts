import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { AppConfig } from '@care/config';
import { activeTracing } from '@care/observability';
import { createPayloadCodec, temporalDataConverter } from '@care/crypto';
import { createDataSource, EventStore } from '@care/event-store';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, DATA_SOURCE, PAYLOAD_CODEC, TEMPORAL_CLIENT, TEMPORAL_CONNECTION } from './tokens';

/** Closes what the module opened when the application stops. */
class InfrastructureLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    // The last spans, before the process ends.
    await activeTracing()?.shutdown().catch(() => undefined);
  }
}

/**
 * PostgreSQL and Temporal for the API. Both connect lazily so that the API starts (and reports 503
 * from /health/ready) while either is down, instead of refusing to start.
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig) {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: DATA_SOURCE,
          useFactory: async (): Promise<DataSource> => {
            // Runs as the restricted role (INSERT/SELECT on the records): see README, Roles in the database.
            const dataSource = createDataSource(config.database.url, config.database.poolSize, { role: config.database.role });
            await dataSource.initialize().catch(() => undefined); // retried on first use, see DatabaseHealth
            return dataSource;
          },
        },
        {
          provide: TEMPORAL_CONNECTION,
          // No gRPC retry interceptor: every call here already runs under a deadline and a failure becomes a
          // retryable 503. The default interceptor retries from timers, which throw uncaught
          // "Channel has been shut down" errors when the connection closes while Temporal is down.
          useFactory: () => Connection.lazy({ address: config.temporal.address, connectTimeout: '3 seconds', interceptors: [] }),
        },
        {
          provide: TEMPORAL_CLIENT,
          inject: [TEMPORAL_CONNECTION, PAYLOAD_CODEC],
          useFactory: (connection: Connection, codec: PayloadCodec) =>
            new Client({
              connection,
              namespace: config.temporal.namespace,
              dataConverter: temporalDataConverter(codec),
              // With tracing on, the Update (or the start) carries the request's trace to the workflow.
              ...(activeTracing() ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
            }),
        },
        // Read at start: a missing or malformed key file stops the API before it serves anything.
        { provide: PAYLOAD_CODEC, useFactory: () => createPayloadCodec(config.payloadCodec) },
        { provide: EventStore, inject: [DATA_SOURCE], useFactory: (dataSource: DataSource) => new EventStore(dataSource) },
        InfrastructureLifecycle,
      ],
      exports: [APP_CONFIG, DATA_SOURCE, TEMPORAL_CONNECTION, TEMPORAL_CLIENT, PAYLOAD_CODEC, EventStore],
    };
  }
}
