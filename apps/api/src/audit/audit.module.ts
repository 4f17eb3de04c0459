import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { AppConfig } from '@care/config';
import { CheckpointSigner } from '@care/event-store';
import { APP_CONFIG } from '../infrastructure/tokens';
import { WorklistController } from '../worklist/worklist.controller';
import { WorklistService } from '../worklist/worklist.service';
import { AccessLogInterceptor } from './access-log.interceptor';
import { AuditController } from './audit.controller';
import { AuditService, LEDGER_SIGNER } from './audit.service';

/** Auditors' API, the read-access log and the staff worklist (all read models of the record). */
@Module({
  controllers: [AuditController, WorklistController],
  providers: [
    {
      provide: LEDGER_SIGNER,
      inject: [APP_CONFIG],
      // Loaded on first use: the API starts even before the worker has generated the embedded default key.
      useFactory: (config: AppConfig) => {
        let signer: CheckpointSigner | null = null;
        return () => (signer ??= CheckpointSigner.fromFile(config.ledger.signingKeyFile, config.ledger.generateSigningKey));
      },
    },
    AuditService,
    WorklistService,
    { provide: APP_INTERCEPTOR, useClass: AccessLogInterceptor },
  ],
  exports: [AuditService],
})
export class AuditModule {}
