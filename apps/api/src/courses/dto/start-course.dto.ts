import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const IDENTIFIER_HINT = 'may contain only letters, digits, ".", "_", ":" or "-"';

export class StartCourseDto {
  @ApiProperty({ description: 'Pseudonymous patient reference (never a name or a record number).', example: 'P-2026-0042' })
  @IsString()
  @Length(1, 64)
  @Matches(IDENTIFIER, { message: `patientRef ${IDENTIFIER_HINT}` })
  patientRef!: string;

  @ApiProperty({ example: 'site-a' })
  @IsString()
  @Length(1, 64)
  @Matches(IDENTIFIER, { message: `siteId ${IDENTIFIER_HINT}` })
  siteId!: string;

  @ApiProperty({ example: 'mdma-at-ptsd' })
  @IsString()
  @Length(1, 64)
  @Matches(IDENTIFIER, { message: `protocolId ${IDENTIFIER_HINT}` })
  protocolId!: string;

  // Checked in full (UTC, a real date, not in the future, the late-entry rule) by the protocol's own parser and rules.
  @ApiPropertyOptional({
    description: 'When the course of care began (UTC), if earlier than now, e.g. a paper consent visit this morning. Default: now.',
    example: '2026-01-05T08:00:00Z',
    format: 'date-time',
  })
  @IsOptional()
  @IsString()
  performedAt?: string;

  @ApiPropertyOptional({ description: 'Why the start is entered more than the protocol\'s lateEntryAfterMinutes after performedAt.', maxLength: 500 })
  @IsOptional()
  @IsString()
  lateEntryReason?: string;
}
