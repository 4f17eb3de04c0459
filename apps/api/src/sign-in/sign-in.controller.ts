import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { LocalSignInDto } from './sign-in.dto';
import { LocalSignIn } from './local-sign-in.service';

/** How the console signs people in: the OIDC provider's settings, or the embedded default's local sign-in. */
@ApiTags('sign-in')
@Controller('auth')
export class SignInController {
  constructor(private readonly local: LocalSignIn) {}

  @Get('sign-in-options')
  @ApiOperation({ summary: 'How to sign in: `oidc` (authority, client id, scope: authorization code with PKCE), `local` (the embedded default) or `none`.' })
  options() {
    return this.local.options();
  }
}

/** Mounted only when the API runs with the development key's private half: otherwise the route does not exist. */
@ApiTags('sign-in')
@Controller('auth')
export class LocalSignInController {
  constructor(private readonly local: LocalSignIn) {}

  @Post('local-sign-in')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Embedded default only: a token for the name, role and site given, signed with the development key (auth_time now, valid 8 hours). Absent (404) with an identity provider.',
  })
  signIn(@Body() body: LocalSignInDto) {
    return this.local.signIn(body);
  }
}
