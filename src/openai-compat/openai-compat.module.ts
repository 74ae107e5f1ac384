import { Module } from '@nestjs/common';
import { ChatCompletionsController } from './chat-completions.controller';
import { ChatCompletionsService } from './chat-completions.service';

@Module({
  controllers: [ChatCompletionsController],
  providers: [ChatCompletionsService],
})
export class OpenAiCompatModule {}
