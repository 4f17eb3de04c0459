import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Documentation-only shape of a command body. The body is checked by the protocol's own parser
 * (`parseCommandInput`), which knows every command type and its fields.
 */
export class CourseCommandDto {
  @ApiProperty({ description: 'Command type, e.g. RecordInformedConsent.', example: 'RecordInformedConsent' })
  type!: string;

  @ApiProperty({ description: 'The command fields.', example: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' } })
  data!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Refuse with 409 unless the course is at exactly this version.', example: 1 })
  expectedVersion?: number;
}
