import { loadAppConfig } from './app.config';
import { loadDatabaseConfig } from './database.config';
import { loadLessonsConfig } from './lessons.config';
import { loadLlmConfig } from './llm.config';
import { loadSecurityConfig } from './security.config';

/**
 * Validates every configuration namespace before the app is built, so a bad value stops the boot before any
 * connection is opened. The namespaces validate again when injected; both read the same environment.
 */
export function validateConfiguration(env: NodeJS.ProcessEnv = process.env): void {
  loadAppConfig(env);
  loadDatabaseConfig(env);
  loadLlmConfig(env);
  loadLessonsConfig(env);
  loadSecurityConfig(env);
}
