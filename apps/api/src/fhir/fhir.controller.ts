import { Controller, Get, Header, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { FhirService } from './fhir.service';

/** The media type of FHIR's JSON format (R4 §2.21.0 / http.html#mime-type). */
export const FHIR_JSON = 'application/fhir+json';

const BUNDLE_SCHEMA = {
  type: 'object',
  description:
    'A FHIR R4 Bundle of type `collection`: Patient (identifier only), CarePlan, Consent, Encounters, Observations (vital signs coded in LOINC with UCUM units, assessments), MedicationAdministrations, AdverseEvents, Flags (safety holds) and a Provenance per valid e-signature.',
  required: ['resourceType', 'type', 'entry'],
  properties: {
    resourceType: { type: 'string', const: 'Bundle' },
    type: { type: 'string', const: 'collection' },
    timestamp: { type: 'string', format: 'date-time' },
    identifier: { type: 'object', description: 'The course id.' },
    entry: {
      type: 'array',
      items: {
        type: 'object',
        required: ['fullUrl', 'resource'],
        properties: { fullUrl: { type: 'string', description: '`urn:uuid:` of the resource; references between resources use it.' }, resource: { type: 'object' } },
      },
    },
  },
};

/** FHIR R4 exports of the record. Who may call them: auth/permissions.ts (the same permission as reading the course). */
@ApiTags('fhir')
@ApiBearerAuth()
@Controller('courses')
export class FhirController {
  constructor(private readonly fhir: FhirService) {}

  @Get(':courseId/fhir')
  @Header('Content-Type', FHIR_JSON)
  @ApiOperation({
    operationId: 'GetCourseFhir',
    summary: 'The course as a FHIR R4 Bundle (collection), built from its recorded events; every export is in the access log.',
  })
  @ApiParam({ name: 'courseId', description: 'The course id (as POST /courses answered it).', schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' } })
  @ApiProduces(FHIR_JSON)
  @ApiResponse({ status: 200, description: 'The Bundle.', content: { [FHIR_JSON]: { schema: BUNDLE_SCHEMA } } })
  @ApiResponse({ status: 400, description: 'Not a course id (`INVALID_REQUEST`, naming `courseId`).' })
  @ApiResponse({ status: 401, description: 'No valid bearer token.' })
  @ApiResponse({ status: 403, description: 'Your role may not read courses (`PERMISSION_DENIED`, naming `course:read`).' })
  @ApiResponse({ status: 404, description: 'No such course at your sites (`COURSE_NOT_FOUND`), as GET /courses/{courseId} answers.' })
  @ApiResponse({ status: 503, description: 'The record store or the access log is unavailable; retry.' })
  course(@CurrentPrincipal() principal: Principal, @Param('courseId') courseId: string, @Req() req: { correlationId?: string }) {
    return this.fhir.courseBundle(principal, courseId, req.correlationId ?? null);
  }
}
