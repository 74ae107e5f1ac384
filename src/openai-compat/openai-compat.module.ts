import { Module } from '@nestjs/common';
import { LlmModule } from '../llm/llm.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';

@Module({
  imports: [LlmModule],
  controllers: [ChatCompletionsController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
