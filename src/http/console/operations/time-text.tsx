const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A span as people say it: `less than 1 min`, `25 min`, `1 h 12 min`, `2 d 3 h` (the two largest parts,
 * rounded down). The countdown script (countdown-js.ts) writes the same words; keep the two in step.
 */
export function durationWords(ms: number): string {
  const span = Math.abs(ms);
  if (span < MINUTE) return 'less than 1 min';
  if (span < HOUR) return `${Math.floor(span / MINUTE)} min`;
  if (span < DAY) {
    const hours = Math.floor(span / HOUR);
    const minutes = Math.floor((span % HOUR) / MINUTE);
    return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
  }
  const days = Math.floor(span / DAY);
  const hours = Math.floor((span % DAY) / HOUR);
  return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
}
