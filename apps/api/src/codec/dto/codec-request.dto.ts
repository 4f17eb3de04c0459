import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject } from 'class-validator';

/** `{payloads: [{metadata: {key: base64}, data: base64}]}`, as the Temporal UI sends it. */
export class CodecRequestDto {
  @ApiProperty({ type: 'array', items: { type: 'object' } })
  @IsArray()
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  payloads!: { metadata?: Record<string, string>; data?: string }[];
}
