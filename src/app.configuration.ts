import { ServiceConfiguration } from './config/configuration.module';
import { loadCoordinationConfig } from './config/coordination.config';
import { loadDatabaseConfig } from './config/database.config';
import { loadLessonsConfig } from './config/lessons.config';
import { loadObservabilityConfig } from './config/observability.config';
import { loadSecurityConfig } from './config/security.config';
import { loadServerConfig } from './config/server.config';
import { ConfigValidationError, Environment } from './config/validate-environment';
import { LlmConfig, loadLlmConfig } from './llm';

/** Every namespace of the service, validated: the service's own and the LLM layer's options. */
export interface AppConfiguration extends ServiceConfiguration {
  llm: LlmConfig;
}

/**
 * The longest any request may run (the LLM request deadline, a lesson's whole pipeline, a stream from its start):
 * what a shutdown must wait for after the drain, and what the Kubernetes grace period must cover.
 */
export function longestRequestMs(configuration: AppConfiguration): number {
  return Math.max(
    configuration.llm.timeouts.requestMs,
    configuration.lessons.deadlineMs,
    configuration.llm.timeouts.streamMaxDurationMs,
  );
}

/**
 * Reads and validates the whole configuration from `env`, once, before the app is built: a bad value stops the
 * boot before any connection is opened, with every problem named (variable and rule, never the value).
 */
export function loadConfiguration(env: Environment): AppConfiguration {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const server = attempt(() => loadServerConfig(env));
  const observability = attempt(() => loadObservabilityConfig(env));
  const security = attempt(() => loadSecurityConfig(env));
  const database = attempt(() => loadDatabaseConfig(env));
  const lessons = attempt(() => loadLessonsConfig(env));
  const coordination = attempt(() => loadCoordinationConfig(env));
  const llm = attempt(() => loadLlmConfig(env));
  if (!server || !observability || !security || !database || !lessons || !coordination || !llm)
    throw new ConfigValidationError(problems);
  return {
    server,
    observability,
    security,
    database,
    lessons,
    coordination,
    llm: { ...llm, policy: { ...llm.policy, logPrompts: observability.logLevel === 'debug' } },
  };
}
