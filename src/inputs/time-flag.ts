// A time a person gives on the command line (a request's --not-after, a policy's --expires): an ISO time with its
// date and time (2026-12-31T18:00:00Z) or a duration from now in hours or days (24h, 90d).
const DURATION = /^(\d{1,4})([hd])$/;

/** The time as an ISO string, or undefined when the value is neither a time nor a duration. */
export function timeFromFlag(value: string, now: Date): string | undefined {
  const d = DURATION.exec(value);
  if (d) return new Date(now.getTime() + Number(d[1]) * (d[2] === 'h' ? 3600_000 : 86_400_000)).toISOString();
  const t = Date.parse(value);
  return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(value) ? undefined : new Date(t).toISOString();
}
