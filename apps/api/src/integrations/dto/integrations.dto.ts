import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsISO8601, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { OUTBOUND_TYPE_NAMES } from '@care/webhooks';

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export class CreateSourceDto {
  @ApiProperty({ description: 'The printed name the audit trail shows for what this system records.', example: 'Acme e-Consent' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: 'site-a' })
  @IsString()
  @Length(1, 64)
  @Matches(IDENTIFIER, { message: 'siteId may contain only letters, digits, ".", "_", ":" or "-"' })
  siteId!: string;
}

export class CreateSubscriptionDto {
  @ApiProperty({ description: 'https URL of the endpoint (plain http only to WEBHOOK_ALLOWED_NETWORKS).', example: 'https://ehr.example.org/hooks/care' })
  @IsString()
  @Length(1, 2000)
  url!: string;

  @ApiProperty({ example: 'site-a' })
  @IsString()
  @Length(1, 64)
  @Matches(IDENTIFIER, { message: 'siteId may contain only letters, digits, ".", "_", ":" or "-"' })
  siteId!: string;

  @ApiProperty({ description: 'Outbound event types (GET /integrations/event-types).', example: ['session.scheduled', 'vitals.alert'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(OUTBOUND_TYPE_NAMES, { each: true, message: `each event type must be one of ${OUTBOUND_TYPE_NAMES.join(', ')}` })
  eventTypes!: string[];

  @ApiPropertyOptional({ example: 'EHR of site A' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateSubscriptionDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  url?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsIn(OUTBOUND_TYPE_NAMES, { each: true, message: `each event type must be one of ${OUTBOUND_TYPE_NAMES.join(', ')}` })
  eventTypes?: string[];

  @ApiPropertyOptional({ description: 'false disables deliveries (events meanwhile are kept as skipped, for recovery); true enables again.' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class RecoverDto {
  @ApiProperty({ description: 'Re-send every failed or skipped delivery created since this time (UTC).', example: '2026-12-01T00:00:00Z' })
  @IsISO8601({ strict: true })
  since!: string;
}
