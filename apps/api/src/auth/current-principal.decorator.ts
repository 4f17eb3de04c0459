import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from './token-verifier';

/** The authenticated caller, as set by {@link AuthGuard}. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ principal: Principal }>().principal,
);
