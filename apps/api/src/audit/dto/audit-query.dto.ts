import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Filters of `GET /audit/events` and `GET /audit/export`. Every filter is optional and combined with AND. */
export class AuditEventsQueryDto {
  @ApiPropertyOptional({ description: 'Course id' }) @IsOptional() @IsString() @Matches(ID) courseId?: string;
  @ApiPropertyOptional({ description: 'Patient reference given when the course started' }) @IsOptional() @IsString() @MaxLength(128) patientRef?: string;
  @ApiPropertyOptional({ description: 'User id of whoever caused the event' }) @IsOptional() @IsString() @Matches(ID) actorId?: string;
  @ApiPropertyOptional({ description: 'Role of whoever caused the event' }) @IsOptional() @IsString() @Matches(/^[a-z_]{1,32}$/) role?: string;
  @ApiPropertyOptional({ description: "Site of the course (only the token's site is allowed)" }) @IsOptional() @IsString() @Matches(ID) siteId?: string;
  @ApiPropertyOptional({ description: 'Event type, e.g. DoseAdministered' }) @IsOptional() @IsString() @Matches(/^[A-Za-z]{1,64}$/) eventType?: string;
  @ApiPropertyOptional({ description: 'Recorded at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'Recorded before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

/** Paging for `GET /audit/events`. */
export class AuditEventsPageDto extends AuditEventsQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' }) @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

/** `GET /audit/export`. */
export class AuditExportDto extends AuditEventsQueryDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' }) @IsOptional() @IsIn(['ndjson', 'csv']) format?: 'ndjson' | 'csv';
}

/** `GET /audit/access-log`. */
export class AccessLogQueryDto {
  @ApiPropertyOptional({ description: 'Site whose accesses to list (one of the token\'s sites; default: the first)' }) @IsOptional() @IsString() @Matches(ID) siteId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID) courseId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(ID) actorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'Access id to continue after' }) @IsOptional() @IsString() @Matches(/^\d{1,19}$/) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

/** `GET /audit/verify`: the whole log, or ledger entries [fromLeaf, toLeaf). */
export class VerifyQueryDto {
  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) fromLeaf?: number;
  @ApiPropertyOptional({ minimum: 1 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) toLeaf?: number;
}

/** `GET /audit/denials`: refused requests (failed logins, missing permissions, failed signatures). */
export class DenialsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'Access id to continue after' }) @IsOptional() @IsString() @Matches(/^\d{1,19}$/) cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
