import { CreateProfileDto } from './dto/create-profile.dto';

export const PROFILE_SCHEMA_NAME = 'learner_profile';

export const PROFILE_SYSTEM_PROMPT = [
  'You are an instructional designer who builds learner profiles for short, personalised lessons about',
  'large language models for working professionals. Be concrete and specific to the profession and industry;',
  'no generic filler. Keep each list item under 200 characters.',
  'highStakesAreas lists the parts of the work where a wrong AI-assisted answer could harm people, money,',
  'safety or legal standing (empty when there are none). technicalComfortLevel is low, medium or high.',
].join(' ');

/** The user prompt for one learner; the schema itself travels in the provider's structured-output field. */
export function profilePrompt(input: CreateProfileDto): string {
  return [
    'Build the learner profile for:',
    `- Profession: ${input.profession}`,
    `- Industry: ${input.industry}`,
    `- Experience level: ${input.experienceLevel}`,
    '',
    'Describe their daily responsibilities, pain points, typical outputs, technical comfort level, learning style,',
    'professional goals, safety priorities and high-stakes areas.',
  ].join('\n');
}
