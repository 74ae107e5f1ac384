import { parseTemplate, PromptLibrary, renderTemplate } from './prompt-library';

const template = parseTemplate(
  'demo',
  '<!-- version: 3 -->\n## system\nYou teach {{topic}}.\n\n## context\nLearner: {{role}}\n\n## task\nExplain {{topic}}.\n',
);

describe('prompt templates', () => {
  it('parses the version, the three sections and the placeholders', () => {
    expect(template).toMatchObject({
      version: 3,
      system: 'You teach {{topic}}.',
      context: 'Learner: {{role}}',
      task: 'Explain {{topic}}.',
      placeholders: ['topic', 'role'],
    });
  });

  it('renders every placeholder, ignoring values no placeholder uses', () => {
    expect(renderTemplate(template, { topic: 'tokens', role: 'nurse', unused: 1 })).toEqual({
      system: 'You teach tokens.',
      context: 'Learner: nurse',
      task: 'Explain tokens.',
    });
  });

  it('refuses to render with a missing value', () => {
    expect(() => renderTemplate(template, { topic: 'tokens' })).toThrow('missing values for role');
  });

  it('rejects templates without a version or sections', () => {
    expect(() => parseTemplate('x', '## system\na\n## context\nb\n## task\nc')).toThrow(
      'no <!-- version: N --> header',
    );
    expect(() => parseTemplate('x', '<!-- version: 1 -->\n## system\na\n## user\nb')).toThrow(
      '"## system", "## context" and "## task"',
    );
  });

  it('loads the repo templates: the learner is a data block in the context, the lesson in the task', () => {
    const library = new PromptLibrary();
    expect(library.version).toMatch(
      /^lesson-generate@\d+\+lesson-review@\d+\+lesson-rewrite@\d+\+lesson-fallback@\d+$/,
    );
    const rendered = library.render('lesson-review', {
      courseTitle: 'C',
      learnerData: '{"profession":"Nurse"}',
      lessonTitle: 'T',
      difficulty: 2,
      difficultyGuidance: 'gentle',
      misconception: 'M',
      lessonJson: '{}',
    });
    expect(rendered.context).toContain('<learner_data>\n{"profession":"Nurse"}\n</learner_data>');
    expect(rendered.task).toContain('Lesson: T');
    expect(`${rendered.system}${rendered.context}${rendered.task}`).not.toMatch(/\{\{\w+\}\}/);
  });
});
