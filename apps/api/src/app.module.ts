import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '@care/config';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { CodecController } from './codec/codec.controller';
import { CodecService } from './codec/codec.service';
import { TokenVerifier } from './auth/token-verifier';
import { CoursesController } from './courses/courses.controller';
import { CoursesService } from './courses/courses.service';
import { CommandReceipts } from './courses/command-receipts.service';
import { ActiveCourses } from './courses/active-courses.service';
import { HttpExceptionFilter } from './errors/http-exception.filter';
import { FhirModule } from './fhir/fhir.module';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { ShutdownDrain } from './health/shutdown-drain';
import { DependencyHealth } from './infrastructure/dependency-health';
import { ApiMetrics } from './metrics/api-metrics';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { InboundWebhooksService } from './integrations/inbound-webhooks.service';
import { IntegrationsController } from './integrations/integrations.controller';
import { IntegrationsService } from './integrations/integrations.service';
import { WebhooksController } from './integrations/webhooks.controller';
import { ProtocolsController } from './protocols/protocols.controller';
import { LocalSignIn } from './sign-in/local-sign-in.service';
import { LocalSignInController, SignInController } from './sign-in/sign-in.controller';
import { consoleModules } from './console/console.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(config),
        // Failed checks are answered (503 naming them), not logged as errors on every probe.
        TerminusModule.forRoot({ logger: false }),
        AuditModule,
        FhirModule,
        DiscoveryModule, ...consoleModules(config)],
      controllers: [
        HealthController,
        CoursesController,
        CodecController,
        IntegrationsController,
        WebhooksController,
        ProtocolsController,
        SignInController,
        // The local sign-in route exists only in the embedded default (with the development key's private half).
        ...(config.console.localSignInKeyFile ? [LocalSignInController] : []),
      ],
      providers: [
        CodecService,
        LocalSignIn,
        TokenVerifier,
        DependencyHealth,
        ShutdownDrain,
        ApiMetrics,
        CommandReceipts,
        ActiveCourses,
        CoursesService,
        IntegrationsService,
        InboundWebhooksService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
