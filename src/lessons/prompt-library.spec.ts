import { parseTemplate, PromptLibrary, renderTemplate } from './prompt-library';

const template = parseTemplate(
  'demo',
  '<!-- version: 3 -->\n## system\nYou teach {{topic}}.\n\n## user\nExplain {{topic}} to a {{role}}.\n',
);

describe('prompt templates', () => {
  it('parses the version, sections and placeholders', () => {
    expect(template).toMatchObject({
      version: 3,
      system: 'You teach {{topic}}.',
      user: 'Explain {{topic}} to a {{role}}.',
      placeholders: ['topic', 'role'],
    });
  });

  it('renders every placeholder, ignoring values no placeholder uses', () => {
    expect(renderTemplate(template, { topic: 'tokens', role: 'nurse', unused: 1 })).toEqual({
      system: 'You teach tokens.',
      user: 'Explain tokens to a nurse.',
    });
  });

  it('refuses to render with a missing value', () => {
    expect(() => renderTemplate(template, { topic: 'tokens' })).toThrow('missing values for role');
  });

  it('rejects templates without a version or sections', () => {
    expect(() => parseTemplate('x', '## system\na\n## user\nb')).toThrow(
      'no <!-- version: N --> header',
    );
    expect(() => parseTemplate('x', '<!-- version: 1 -->\njust text')).toThrow(
      '"## system" then a "## user"',
    );
  });

  it('loads the repo templates; their versions make up the cache-key version', () => {
    const library = new PromptLibrary();
    expect(library.version).toMatch(
      /^lesson-generate@\d+\+lesson-review@\d+\+lesson-rewrite@\d+\+lesson-fallback@\d+$/,
    );
    const rendered = library.render('lesson-review', {
      profession: 'Nurse',
      experienceLevel: 'Beginner',
      industry: 'Healthcare',
      highStakesAreas: 'dosage',
      lessonTitle: 'T',
      difficulty: 2,
      difficultyGuidance: 'gentle',
      misconception: 'M',
      lessonJson: '{}',
    });
    expect(rendered.user).toContain('Nurse (Beginner) in Healthcare');
    expect(rendered.user).not.toMatch(/\{\{\w+\}\}/);
  });
});
