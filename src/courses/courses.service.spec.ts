import { CoursesService, loadCourse } from './courses.service';

describe(CoursesService.name, () => {
  it('loads and validates the built-in catalogue', () => {
    const service = new CoursesService();
    const [course] = service.list();
    expect(course.id).toBe('llm-foundations');
    expect(course.lessons.length).toBeGreaterThanOrEqual(8);
    for (const lesson of course.lessons) {
      expect(lesson.misconceptions.length).toBeGreaterThan(0);
      expect(lesson.objectives.length).toBeGreaterThan(0);
    }
    expect(service.findLesson('llm-foundations', 'l07-human-oversight').lesson.title).toContain(
      'oversight',
    );
  });

  it('names the file and every broken rule', () => {
    const broken = JSON.stringify({
      id: 'Bad Id',
      title: 'x',
      description: 'A course',
      lessons: [
        { id: 'l01-a', title: 'Lesson', objectives: ['o'], keyConcepts: ['k'], misconceptions: [] },
        {
          id: 'l01-a',
          title: 'Lesson',
          objectives: ['o'],
          keyConcepts: ['k'],
          misconceptions: [{ statement: 'short', correction: 'fixed it', keywords: [] }],
        },
      ],
    });
    expect(() => loadCourse('broken.json', broken)).toThrow(
      /broken\.json is invalid: .*course id must be lowercase.*title.*misconceptions.*keywords.*lesson ids must be unique/,
    );
    expect(() => loadCourse('bad.json', '{')).toThrow('bad.json is not valid JSON');
  });
});
