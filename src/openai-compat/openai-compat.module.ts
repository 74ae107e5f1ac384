import { Module } from '@nestjs/common';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';
import { ResponsesController } from './responses.controller';

@Module({
  controllers: [ChatCompletionsController, ResponsesController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
