import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { DATABASE_CONFIG, DatabaseConfig } from '../config/database.config';
import { DatabaseService } from './database.service';
import { PaidWrites } from './paid-writes';

@Global()
@Module({
  providers: [
    {
      provide: DatabaseService,
      inject: [DATABASE_CONFIG],
      useFactory: (config: DatabaseConfig) => DatabaseService.open(config),
    },
    {
      provide: PaidWrites,
      inject: [Registry],
      useFactory: (registry: Registry) => new PaidWrites(registry),
    },
  ],
  exports: [DatabaseService, PaidWrites],
})
export class DatabaseModule {}
