const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) made safe to put into HTML. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * A tagged template for HTML: every interpolated value is escaped, unless it is markup made
 * by this tag (an `Html`), or an array of those.
 */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Part = Html | string | number | readonly Html[] | null | undefined | false;

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    if (value instanceof Html) out += value.markup;
    else if (Array.isArray(value)) out += value.map((v: Html) => v.markup).join('');
    else if (value !== null && value !== undefined && value !== false) out += escapeHtml(value as string | number);
    out += strings[i + 1]!;
  });
  return new Html(out);
}
