import { ConfigurableModuleBuilder } from '@nestjs/common';
import { LlmModuleOptions } from './llm.config';

/**
 * `LlmModule.forRoot(options)` / `forRootAsync({inject, useFactory})`. Global by default, so feature modules inject
 * `LlmService` without importing the module again; `isGlobal: false` keeps it to the importing module.
 */
export const {
  ConfigurableModuleClass: ConfigurableLlmModule,
  MODULE_OPTIONS_TOKEN: LLM_MODULE_OPTIONS,
  OPTIONS_TYPE: LLM_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LLM_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LlmModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
