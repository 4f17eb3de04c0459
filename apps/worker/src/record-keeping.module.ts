import { Module } from '@nestjs/common';
import { LedgerIntegratorService } from './ledger/ledger-integrator.service';
import { ProjectionsService } from './projections/projections.service';
import { RecordKeepingDatabase } from './record-keeping.database';
import { WebhookRelayService } from './webhooks/webhook-relay.service';

/** Background record keeping in the worker: the signed ledger, the read models and the webhook relay. */
@Module({ providers: [RecordKeepingDatabase, LedgerIntegratorService, ProjectionsService, WebhookRelayService], exports: [LedgerIntegratorService, RecordKeepingDatabase] })
export class RecordKeepingModule {}
