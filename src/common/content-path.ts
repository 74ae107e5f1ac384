import { resolve } from 'node:path';

/** The repo's content/ folder (course data, prompt templates): the same path from src/ and dist/. */
export const CONTENT_ROOT = resolve(__dirname, '..', '..', 'content');
