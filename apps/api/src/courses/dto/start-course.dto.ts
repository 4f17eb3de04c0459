import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

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
}
