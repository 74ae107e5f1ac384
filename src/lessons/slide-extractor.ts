/**
 * Finds the slides of a lesson in its JSON text while the text is still arriving: each element of the top-level
 * `slides` array is handed out once its closing brace has arrived. Reads each character once (the text only
 * grows), aware of strings and escapes, so partial JSON never confuses it.
 */
export class SlideExtractor {
  private position = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private stringStart = -1;
  /** The last string read at depth 1 (a key of the root object, or a value). */
  private lastRootString: string | undefined;
  /** The depth of the `slides` array's elements, once it has opened. */
  private slidesDepth: number | undefined;
  private elementStart = -1;
  private found = 0;

  /** The slides completed since the last call, as parsed JSON values (not yet validated). */
  push(text: string): unknown[] {
    const completed: unknown[] = [];
    for (; this.position < text.length; this.position += 1) {
      const char = text[this.position];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (char === '\\') this.escaped = true;
        else if (char === '"') {
          this.inString = false;
          if (this.depth === 1)
            this.lastRootString = text.slice(this.stringStart + 1, this.position);
        }
        continue;
      }
      switch (char) {
        case '"':
          this.inString = true;
          this.stringStart = this.position;
          break;
        case '{':
        case '[':
          this.depth += 1;
          if (char === '[' && this.depth === 2 && this.lastRootString === 'slides')
            this.slidesDepth = 3;
          else if (char === '{' && this.depth === this.slidesDepth)
            this.elementStart = this.position;
          break;
        case '}':
        case ']':
          if (char === '}' && this.depth === this.slidesDepth && this.elementStart >= 0) {
            const element = this.parse(text.slice(this.elementStart, this.position + 1));
            if (element !== undefined) completed.push(element);
            this.elementStart = -1;
          }
          if (char === ']' && this.depth === 2 && this.slidesDepth !== undefined)
            this.slidesDepth = undefined;
          this.depth -= 1;
          break;
      }
    }
    return completed;
  }

  /** Slides handed out so far. */
  get count(): number {
    return this.found;
  }

  private parse(json: string): unknown {
    try {
      const value: unknown = JSON.parse(json);
      this.found += 1;
      return value;
    } catch {
      return undefined;
    }
  }
}
