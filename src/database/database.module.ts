import { Global, Module } from '@nestjs/common';
import { DATABASE_CONFIG, DatabaseConfig } from '../config/database.config';
import { DatabaseService } from './database.service';

@Global()
@Module({
  providers: [
    {
      provide: DatabaseService,
      inject: [DATABASE_CONFIG],
      useFactory: (config: DatabaseConfig) => DatabaseService.open(config),
    },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
