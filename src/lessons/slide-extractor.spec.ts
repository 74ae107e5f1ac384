import { SlideExtractor } from './slide-extractor';

const lesson = {
  lessonTitle: 'Why "slides": [ are tricky } in strings',
  estimatedDurationMinutes: 8,
  slides: [
    {
      slideNumber: 1,
      slideType: 'hook',
      title: 'A {brace} and a \\"quote\\"',
      items: [{ type: 'text', bullet: 'b', talk: '[t]' }],
    },
    { slideNumber: 2, slideType: 'concept', title: 'Two', items: [] },
    {
      slideNumber: 3,
      slideType: 'connection',
      title: 'Three',
      items: [{ type: 'text', bullet: 'x', talk: 'y' }],
    },
  ],
};

describe(SlideExtractor.name, () => {
  it('hands out each slide once it is complete, whatever the chunking', () => {
    const text = JSON.stringify(lesson);
    for (const size of [1, 3, 7, 50, text.length]) {
      const extractor = new SlideExtractor();
      const seen: unknown[] = [];
      const firstSeenAt: number[] = [];
      for (let end = size; end < text.length + size; end += size) {
        const slides = extractor.push(text.slice(0, Math.min(end, text.length)));
        if (slides.length > 0) firstSeenAt.push(Math.min(end, text.length));
        seen.push(...slides);
      }
      expect(seen).toEqual(lesson.slides);
      // The first slide is out before the text is complete.
      if (size < text.length) expect(firstSeenAt[0]).toBeLessThan(text.length);
    }
  });

  it('ignores arrays and objects that are not the root slides array', () => {
    const extractor = new SlideExtractor();
    const text = JSON.stringify({
      notes: [{ slides: [{ a: 1 }] }],
      meta: { slides: [{ b: 2 }] },
      slides: [{ c: 3 }],
    });
    expect(extractor.push(text)).toEqual([{ c: 3 }]);
  });

  it('finds nothing in text that is not JSON', () => {
    expect(new SlideExtractor().push('Sure! Here is a lesson about slides: [ {a} ]')).toEqual([]);
  });
});
