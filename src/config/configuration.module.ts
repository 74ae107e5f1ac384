import { DynamicModule, Module } from '@nestjs/common';
import { COORDINATION_CONFIG, CoordinationConfig } from './coordination.config';
import { DATABASE_CONFIG, DatabaseConfig } from './database.config';
import { LESSONS_CONFIG, LessonsConfig } from './lessons.config';
import { OBSERVABILITY_CONFIG, ObservabilityConfig } from './observability.config';
import { SECURITY_CONFIG, SecurityConfig } from './security.config';
import { SERVER_CONFIG, ServerConfig } from './server.config';

/** The validated namespaces the service's own modules inject (the LLM layer takes its options through forRoot). */
export interface ServiceConfiguration {
  server: ServerConfig;
  observability: ObservabilityConfig;
  security: SecurityConfig;
  database: DatabaseConfig;
  lessons: LessonsConfig;
  coordination: CoordinationConfig;
}

/**
 * Configuration read once, at boot, and handed to every module through DI: each namespace under its token. Nothing
 * else reads the environment, so tests pass their environment in instead of changing `process.env`.
 */
@Module({})
export class ConfigurationModule {
  static forRoot(configuration: ServiceConfiguration): DynamicModule {
    const providers = [
      { provide: SERVER_CONFIG, useValue: configuration.server },
      { provide: OBSERVABILITY_CONFIG, useValue: configuration.observability },
      { provide: SECURITY_CONFIG, useValue: configuration.security },
      { provide: DATABASE_CONFIG, useValue: configuration.database },
      { provide: LESSONS_CONFIG, useValue: configuration.lessons },
      { provide: COORDINATION_CONFIG, useValue: configuration.coordination },
    ];
    return {
      module: ConfigurationModule,
      global: true,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}
