import { IsBoolean, IsOptional } from 'class-validator';
import { QueryBoolean } from '../../common/string-transforms';

export class ProfileQueryDto {
  /** Generate again even when a stored profile matches. */
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  refresh?: boolean;
}
