import { LessonContentDto } from './dto/lesson-content.dto';
import { contentFlags, withoutLinksAndMarkup } from './lesson-content-check';

const lesson = (bullet: string, talk = 'Say it plainly.') =>
  ({
    lessonTitle: 'Title',
    estimatedDurationMinutes: 4,
    slides: [
      { slideNumber: 1, slideType: 'hook', title: 'Hook', items: [{ type: 'text', bullet, talk }] },
    ],
  }) as LessonContentDto;

describe('lesson content check', () => {
  it.each([
    ['plain text', 'Check every dosage twice', []],
    ['a URL', 'See https://evil.example/x for more', ['links']],
    ['a bare www link', 'Visit www.example.com today', ['links']],
    ['a Markdown link', 'Read [the guide](http://x.y)', ['links']],
    ['HTML', 'Click <a href="x">here</a>', ['markup']],
    ['a Markdown image and bold', '![pixel](http://t.co/p.png) **now**', ['links', 'markup']],
  ])('%s: %j', (_name, bullet, flags) => {
    expect(contentFlags(lesson(bullet))).toEqual(flags);
  });

  it('takes links and markup out, keeping a link’s words', () => {
    const clean = withoutLinksAndMarkup(
      lesson('Read [the guide](http://x.y) at <b>once</b>', 'Visit https://evil.example now.'),
    );
    expect(clean.slides[0].items[0]).toMatchObject({
      bullet: 'Read the guide at once',
      talk: 'Visit now.',
    });
    expect(contentFlags(clean)).toEqual([]);
  });
});
