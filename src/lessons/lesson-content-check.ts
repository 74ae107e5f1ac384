import { LessonContentDto } from './dto/lesson-content.dto';

/** What a lesson, shown as plain text on slides, must not carry. */
export type ContentFlag = 'links' | 'markup';

const LINK = /\b(?:https?:\/\/|ftp:\/\/|www\.)\S+|\[[^\]]*\]\([^)]*\)/gi;
const MARKUP = /<\/?[A-Za-z][^>]*>|!\[[^\]]*\]\([^)]*\)|`{3}|^#{1,6}\s|\*\*(?=\S)|__(?=\S)/gm;

function texts(content: LessonContentDto): string[] {
  return content.slides.flatMap((slide) => [
    slide.title,
    ...slide.items.flatMap((item) => [item.bullet, item.talk]),
  ]);
}

/** Which of links and markup a generated lesson carries (the lesson rules ask for a rewrite without them). */
export function contentFlags(content: LessonContentDto): ContentFlag[] {
  const all = texts(content).join('\n');
  const flags: ContentFlag[] = [];
  if (new RegExp(LINK.source, 'i').test(all)) flags.push('links');
  if (new RegExp(MARKUP.source, 'm').test(all)) flags.push('markup');
  return flags;
}

/** The lesson with links and markup taken out of every text (what is left of a link is its words). */
export function withoutLinksAndMarkup(content: LessonContentDto): LessonContentDto {
  const clean = (text: string) =>
    text
      .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\b(?:https?:\/\/|ftp:\/\/|www\.)\S+/gi, '')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/`{3}|^#{1,6}\s|\*\*|__/gm, '')
      .replace(/\s{2,}/g, ' ')
      .trim();
  return {
    ...content,
    lessonTitle: clean(content.lessonTitle),
    slides: content.slides.map((slide) => ({
      ...slide,
      title: clean(slide.title),
      items: slide.items.map((item) => ({
        ...item,
        bullet: clean(item.bullet),
        talk: clean(item.talk),
      })),
    })),
  };
}
