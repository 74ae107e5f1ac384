import { IsBoolean, IsOptional } from 'class-validator';
import { QueryBoolean } from './string-transforms';

export class RefreshQueryDto {
  /** Generate again even when a stored result matches. */
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  refresh?: boolean;
}
