import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { NotFoundError } from '../common/domain-error';
import { SingleFlight } from '../common/single-flight';
import { GenerationLocks } from '../coordination/generation-locks';
import { PaidWrites } from '../database/paid-writes';
import { ProfileRow } from '../database/schema';
import { LlmCallMeta, LlmService } from '../llm';
import { CreateProfileDto, ExperienceLevel } from './dto/create-profile.dto';
import { GeneratedProfileDto } from './dto/generated-profile.dto';
import { PROFILE_SCHEMA_NAME, PROFILE_SYSTEM_PROMPT, profilePrompt } from './profile.prompt';
import { ProfilesRepository } from './profiles.repository';

export type LearnerProfile = {
  profession: string;
  industry: string;
  experienceLevel: ExperienceLevel;
} & GeneratedProfileDto;

/** Which route produced a stored profile: the LLM metadata minus token usage and timing. */
export type ProfileLlmInfo = Pick<LlmCallMeta, 'provider' | 'model' | 'fallbackUsed' | 'attempts'>;

export interface ProfileView {
  id: string;
  profile: LearnerProfile;
  generatedFromCache: boolean;
  llm: ProfileLlmInfo;
  createdAt: string;
}

/** Case- and whitespace-insensitive identity of a profile request. */
export function profileLookupKey(input: CreateProfileDto): string {
  const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();
  return [
    normalise(input.profession),
    normalise(input.industry),
    input.experienceLevel.toLowerCase(),
  ].join('\u241f');
}

@Injectable()
export class ProfilesService {
  private readonly logger = new Logger(ProfilesService.name);
  private readonly generations = new SingleFlight<ProfileRow>();

  constructor(
    private readonly llm: LlmService,
    private readonly repository: ProfilesRepository,
    private readonly locks: GenerationLocks,
    private readonly paidWrites: PaidWrites,
  ) {}

  /**
   * The stored profile for this triple, or a new one. Concurrent identical requests share one generation (on every
   * replica, with REDIS_URL), which runs to its own deadline even if the first caller leaves: its result is stored
   * either way.
   */
  async getOrCreate(
    input: CreateProfileDto,
    options: { refresh: boolean; requestId: string },
  ): Promise<ProfileView> {
    const lookupKey = profileLookupKey(input);
    if (!options.refresh) {
      const stored = await this.repository.findByLookupKey(lookupKey);
      if (stored) return toView(stored, true);
    }
    const flightKey = `${lookupKey}${options.refresh ? '\u241frefresh' : ''}`;
    // One generation per key in this process, and (with REDIS_URL) across the replicas.
    const { promise } = this.generations.run(flightKey, () =>
      this.locks.once(
        `profile:${flightKey}`,
        () => this.generate(input, lookupKey, options.requestId),
        (id) => this.repository.findById(id),
      ),
    );
    return toView(await promise, false);
  }

  async findById(id: string): Promise<ProfileView> {
    const stored = await this.repository.findById(id);
    if (!stored) throw new NotFoundError(`Profile ${id} not found`);
    return toView(stored, true);
  }

  /** The stored profile behind an id, for other modules (lessons). */
  async requireProfile(id: string): Promise<LearnerProfile & { id: string }> {
    const view = await this.findById(id);
    return { id: view.id, ...view.profile };
  }

  private async generate(
    input: CreateProfileDto,
    lookupKey: string,
    requestId: string,
  ): Promise<ProfileRow> {
    const result = await this.llm.generateObject({
      schema: GeneratedProfileDto,
      schemaName: PROFILE_SCHEMA_NAME,
      system: PROFILE_SYSTEM_PROMPT,
      prompt: profilePrompt(input),
      maxOutputTokens: 2048,
      requestId,
    });
    const { provider, model, fallbackUsed, attempts } = result.meta;
    const llm: ProfileLlmInfo = { provider, model, fallbackUsed, attempts };
    const stored = await this.paidWrites.store('profile', () =>
      this.repository.upsert({
        id: randomUUID(),
        lookupKey,
        profession: input.profession,
        industry: input.industry,
        experienceLevel: input.experienceLevel,
        profile: { ...result.value },
        llm,
      }),
    );
    this.logger.log(`Stored profile ${stored.id} from ${provider}/${model} [request ${requestId}]`);
    return stored;
  }
}

function toView(row: ProfileRow, fromCache: boolean): ProfileView {
  const generated = row.profile as GeneratedProfileDto;
  return {
    id: row.id,
    // jsonb keeps keys sorted its own way; answer in the documented order.
    profile: {
      profession: row.profession,
      industry: row.industry,
      experienceLevel: row.experienceLevel as ExperienceLevel,
      dailyResponsibilities: generated.dailyResponsibilities,
      painPoints: generated.painPoints,
      typicalOutputs: generated.typicalOutputs,
      technicalComfortLevel: generated.technicalComfortLevel,
      learningStyleNotes: generated.learningStyleNotes,
      professionalGoals: generated.professionalGoals,
      safetyPriorities: generated.safetyPriorities,
      highStakesAreas: generated.highStakesAreas,
    },
    generatedFromCache: fromCache,
    llm: row.llm as ProfileLlmInfo,
    createdAt: row.createdAt.toISOString(),
  };
}
