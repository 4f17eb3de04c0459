import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { CodecService } from './codec.service';
import { CodecRequestDto } from './dto/codec-request.dto';

/** Temporal codec server (for the Temporal UI's "codec endpoint" setting): auditors and admins only. */
@ApiTags('codec')
@ApiBearerAuth()
@Controller('codec')
export class CodecController {
  constructor(private readonly codec: CodecService) {}

  @Post('encode')
  @HttpCode(200)
  @ApiOperation({ summary: 'Encrypts Temporal payloads (codec-server protocol).' })
  encode(@Body() body: CodecRequestDto) {
    return this.codec.encode(body.payloads);
  }

  @Post('decode')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decrypts Temporal payloads for display; each call is recorded in the access log.' })
  decode(@CurrentPrincipal() principal: Principal, @Body() body: CodecRequestDto, @Req() req: { correlationId: string }) {
    return this.codec.decode(principal, body.payloads, req.correlationId);
  }
}
