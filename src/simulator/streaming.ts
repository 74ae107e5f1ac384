/** The longest delta the simulator streams: a long answer comes in many small deltas, as a model would send it. */
const MAX_DELTA = 512;

/** Splits text into deltas, as a model would stream it: at least a few, none longer than MAX_DELTA characters. */
export function splitIntoChunks(text: string, count = 4): string[] {
  if (text.length === 0) return [];
  const size = Math.min(MAX_DELTA, Math.max(1, Math.ceil(text.length / count)));
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size)
    chunks.push(text.slice(start, start + size));
  return chunks;
}
