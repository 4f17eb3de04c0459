import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../errors/api-error';
import { PUBLIC, roleHas, ROUTE_PERMISSIONS, routeKey } from './permissions';
import { TokenVerifier, type Principal } from './token-verifier';

type GuardedRequest = Request & { principal?: Principal; correlationId?: string };

/**
 * Global guard, deny by default: the matched route must be listed in {@link ROUTE_PERMISSIONS};
 * unless public, the bearer token must verify and the caller's role must hold the route's permission.
 * Every refusal (401, 403) is written to the access log, best effort: a log outage must not turn a
 * refusal into an acceptance, nor into a 503 that tells an attacker something.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly verifier: TokenVerifier, private readonly audit: AuditService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const key = routeKey(request.method, (request.route as { path?: string } | undefined)?.path ?? '');
    const permission = ROUTE_PERMISSIONS[key];
    if (permission === PUBLIC) return true;

    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(request.headers.authorization ?? '');
    const result = match ? await this.verifier.verify(match[1]!) : ({ ok: false, reason: 'malformed' } as const);
    // The provider is unreachable: not the caller's fault, so a retryable 503 rather than a 401 that
    // would send every user to sign in again.
    if (!result.ok && result.reason === 'keys-unavailable') throw ApiError.unavailable('The identity provider');
    if (!result.ok) {
      await this.audit.recordDenial(null, { action: 'authenticate', resource: key, reason: result.reason, correlationId: request.correlationId ?? null });
      throw ApiError.unauthenticated();
    }
    const principal = result.principal;
    // A route nobody declared is refused for everyone (and fails the route-inventory test).
    const needed = permission ?? 'undeclared-route';
    if (permission === undefined || !roleHas(principal.role, permission)) {
      await this.audit.recordDenial(principal, { action: 'access', resource: key, reason: `missing ${needed}`, correlationId: request.correlationId ?? null });
      throw ApiError.permissionDenied(needed);
    }
    request.principal = principal;
    return true;
  }
}
