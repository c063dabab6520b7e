// Resolved words keep what could not be known before running as markers, so a path like
// "$DIR/x" is never mistaken for the literal text "$DIR/x" (which a single-quoted word may hold).

const OPEN = '\uE000';
const CLOSE = '\uE001';

/** An expansion whose value is unknown before the command runs: `$NAME`, `$(...)`, `$((...))`. */
export function unknownValue(label: string): string {
  return OPEN + label + CLOSE;
}

export function isDynamic(text: string): boolean {
  return text.includes(OPEN);
}

/** Text as a user would write it: markers become `$NAME` / `$(...)`. */
export function displayText(text: string): string {
  if (!isDynamic(text)) return text;
  return text.replace(/\uE000([^\uE001]*)\uE001/g, (_m, label: string) => (label.startsWith('(') ? '$' + label : '$' + label));
}

/** The static text before the first unknown part. */
export function staticPrefix(text: string): string {
  const at = text.indexOf(OPEN);
  return at < 0 ? text : text.slice(0, at);
}
