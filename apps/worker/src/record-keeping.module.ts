import { Module } from '@nestjs/common';
import { LedgerIntegratorService } from './ledger/ledger-integrator.service';
import { ProjectionsService } from './projections/projections.service';
import { RecordKeepingDatabase } from './record-keeping.database';

/** Background record keeping in the worker: the signed ledger and the read models. */
@Module({ providers: [RecordKeepingDatabase, LedgerIntegratorService, ProjectionsService], exports: [LedgerIntegratorService] })
export class RecordKeepingModule {}
