/** `2026-05-04 14:30` of a time, in UTC (readers are anywhere, so the zone is always said). */
export function utcMinute(at: Date): string {
  return at.toISOString().slice(0, 16).replace('T', ' ');
}

/** A time as `<time datetime="ISO">2026-05-04 14:30 UTC</time>`. */
export function UtcTime(props: { at: Date }) {
  return <time datetime={props.at.toISOString()}>{`${utcMinute(props.at)} UTC`}</time>;
}
