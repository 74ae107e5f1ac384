import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config/database.config';
import { DatabaseService } from './database.service';

@Global()
@Module({
  imports: [ConfigModule.forFeature(databaseConfig)],
  providers: [
    {
      provide: DatabaseService,
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => DatabaseService.open(config),
    },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
