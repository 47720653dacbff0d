// Text helpers every renderer uses: template placeholders, dates and durations, digit grouping, and reflowing
// the hard-wrapped block scalars of a script.

/** Replaces {name} by its value; an unknown {name} stays as written (the template schemas refuse those). */
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** The first of `times` that is a valid date, for the PDF's creation date; none: undefined. */
export function firstValidDate(...times: string[]): Date | undefined {
  for (const t of times) {
    const d = new Date(t);
    if (t !== '' && !Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}

/** hh:mm:ss between two ISO times, rounded to the second; '—' when either is not a time or end is before start. */
export function duration(start: string, end: string): string {
  const ms = Date.parse(end) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Script texts are YAML block scalars wrapped at the author's line length: join wrapped lines so the text
 * reflows to the page, keeping blank lines as paragraph breaks and list items on lines of their own.
 */
export function reflow(value: string): string {
  const out: string[] = [];
  // Scripts mark commands `like this` (Markdown); people read them without the backticks.
  value = value.replace(/`([^`\n]+)`/g, '$1');
  for (const raw of value.trim().split('\n')) {
    const line = raw.trim();
    const last = out.length - 1;
    if (line === '' || last < 0 || out[last] === '' || /^([-*•]|\d+[.)])\s/.test(line)) out.push(line);
    else out[last] = `${out[last]} ${line}`;
  }
  return out.join('\n').replace(/\n{2,}/g, '\n\n');
}

export function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** Text reflowed into paragraphs (reflow), each wrapped at `width` columns: what a terminal shows. */
export function wrapped(value: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of reflow(value).split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}
