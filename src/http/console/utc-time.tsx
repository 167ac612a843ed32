/** `2026-03-01 14:05 UTC`: how the console writes a moment, the same for every reader whatever their zone. */
export function formatUtc(at: string | Date): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A moment as `<time>`, machine-readable in `datetime` and written in UTC for people; `empty` when there is none. */
export function UtcTime(props: { at: string | Date | null | undefined; empty?: string }) {
  if (props.at === null || props.at === undefined) return <span class="muted">{props.empty ?? '—'}</span>;
  const date = typeof props.at === 'string' ? new Date(props.at) : props.at;
  return <time datetime={date.toISOString()}>{formatUtc(date)}</time>;
}
