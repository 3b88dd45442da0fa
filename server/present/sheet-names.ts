/**
 * Worksheet names Excel accepts and a person can read: at most 31 characters,
 * none of \ / ? * [ ] :, not blank, unique regardless of case. A long title is
 * cut at a word boundary (never mid-word) and does not end on a preposition or
 * article; a name already taken gets " (2)", " (3)"...
 */
export const SHEET_NAME_MAX = 31;

/** Usual abbreviations of the long words of report titles, tried before cutting words off. */
const ABBREVIATIONS: Record<string, string> = {
  distribuzione: 'Distrib.',
  ripartizione: 'Ripart.',
  prestazione: 'prest.',
  prestazioni: 'prest.',
  categoria: 'cat.',
  componenti: 'comp.',
  valutazione: 'valut.',
  valutazioni: 'valut.',
  territorio: 'terr.',
};

/** Italian and English words a shortened title must not end on. */
const DANGLING = new Set(['di', 'a', 'da', 'in', 'con', 'su', 'per', 'tra', 'fra', 'e', 'o', 'ed', 'il', 'lo', 'la', 'i', 'gli', 'le', 'un', 'una', 'del', 'della', 'dei', 'delle', 'degli', 'al', 'alla', 'ai', 'nel', 'nella', 'sul', 'sulla', 'of', 'and', 'or', 'the', 'by', 'for', 'to', 'non', '-', '–']);

/** One title shortened to `max` characters at a word boundary. */
export function shortenTitle(title: string, max = SHEET_NAME_MAX): string {
  const clean = title.replace(/[\\/?*[\]:]/g, ' ').replace(/\s+/g, ' ').trim().replace(/^'+|'+$/g, '');
  if (clean.length <= max) return clean || 'Foglio';
  const abbreviated = clean.split(' ').map((w) => {
    const a = ABBREVIATIONS[w.toLowerCase()];
    return a ? (w[0] === w[0].toUpperCase() ? a[0].toUpperCase() + a.slice(1) : a.toLowerCase()) : w;
  });
  if (abbreviated.join(' ').length <= max) return abbreviated.join(' ');
  const words = abbreviated;
  const kept: string[] = [];
  for (const w of words) {
    if ([...kept, w].join(' ').length > max) break;
    kept.push(w);
  }
  while (kept.length > 1 && DANGLING.has(kept[kept.length - 1].toLowerCase().replace(/[,;.]$/, ''))) kept.pop();
  const out = kept.join(' ').replace(/[,;.\s-]+$/, '');
  // A first word longer than the limit: nothing better than cutting it.
  return out || clean.slice(0, max);
}

/** Names for the given titles, in order: each readable, valid and distinct from the others. */
export function sheetNames(titles: readonly string[]): string[] {
  const taken = new Set<string>();
  return titles.map((title) => {
    let name = shortenTitle(title);
    for (let n = 2; taken.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name = `${shortenTitle(title, SHEET_NAME_MAX - suffix.length)}${suffix}`;
    }
    taken.add(name.toLowerCase());
    return name;
  });
}
