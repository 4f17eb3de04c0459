import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { FhirController } from './fhir.controller';
import { FhirService } from './fhir.service';

/**
 * FHIR R4 exports (GET /courses/:courseId/fhir). Reads courses through the application's CoursesService
 * (found at start, see FhirService) and logs each export through the access log of AuditModule.
 */
@Module({
  imports: [AuditModule],
  controllers: [FhirController],
  providers: [FhirService],
})
export class FhirModule {}
