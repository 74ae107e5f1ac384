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
export type ProfileLlmInfo = Pick<LlmCallMeta, 'provider' | 'model' | 'fallbackUsed' | 'attempts'> &
  Partial<Pick<LlmCallMeta, 'spent'>>;

export interface ProfileView {
  id: string;
  profile: LearnerProfile;
  generatedFromCache: boolean;
  llm: ProfileLlmInfo;
  createdAt: string;
}

/**
 * Case- and whitespace-insensitive identity of a profile request, per owner: two clients asking for the same triple
 * each get a profile of their own (on a service without keys the owner is empty, and all is shared).
 */
export function profileLookupKey(input: CreateProfileDto, owner = ''): string {
  const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();
  const triple = [
    normalise(input.profession),
    normalise(input.industry),
    input.experienceLevel.toLowerCase(),
  ].join('\u241f');
  return owner ? `${owner}\u241e${triple}` : triple;
}

/** Whether `owner` may see a stored row: its own, or anything on a service without keys. */
export function ownedBy(row: { owner: string }, owner: string | undefined): boolean {
  return owner === undefined || row.owner === owner;
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
    options: { refresh: boolean; requestId: string; owner?: string },
  ): Promise<ProfileView> {
    const lookupKey = profileLookupKey(input, options.owner);
    if (!options.refresh) {
      const stored = await this.repository.findByLookupKey(lookupKey);
      if (stored) return toView(stored, true);
    }
    const flightKey = `${lookupKey}${options.refresh ? '\u241frefresh' : ''}`;
    // One generation per key in this process, and (with REDIS_URL) across the replicas.
    const { promise } = this.generations.run(flightKey, () =>
      this.locks.once(
        `profile:${flightKey}`,
        () => this.generate(input, lookupKey, options.requestId, options.owner ?? ''),
        (id) => this.repository.findById(id),
      ),
    );
    return toView(await promise, false);
  }

  /** A stored profile its owner may read (another client's is as unknown as a missing one: 404). */
  async findById(id: string, owner?: string): Promise<ProfileView> {
    const stored = await this.repository.findById(id);
    if (!stored || !ownedBy(stored, owner)) throw new NotFoundError(`Profile ${id} not found`);
    return toView(stored, true);
  }

  /** Deletes the owner's profile and its lessons; 404 when it is not there, or not theirs. */
  async delete(id: string, owner?: string): Promise<void> {
    await this.findById(id, owner);
    await this.repository.delete(id);
    this.logger.log(`Deleted profile ${id} and its lessons`);
  }

  /** The stored profile behind an id, for other modules (lessons), as its owner may see it. */
  async requireProfile(id: string, owner?: string): Promise<LearnerProfile & { id: string }> {
    const view = await this.findById(id, owner);
    return { id: view.id, ...view.profile };
  }

  private async generate(
    input: CreateProfileDto,
    lookupKey: string,
    requestId: string,
    owner: string,
  ): Promise<ProfileRow> {
    const result = await this.llm.generateObject({
      schema: GeneratedProfileDto,
      schemaName: PROFILE_SCHEMA_NAME,
      system: PROFILE_SYSTEM_PROMPT,
      prompt: profilePrompt(input),
      maxOutputTokens: 2048,
      requestId,
    });
    const { provider, model, fallbackUsed, attempts, spent } = result.meta;
    const llm: ProfileLlmInfo = { provider, model, fallbackUsed, attempts, spent };
    const stored = await this.paidWrites.store('profile', () =>
      this.repository.upsert({
        id: randomUUID(),
        owner,
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
