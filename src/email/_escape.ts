// HTML escaping for every value placed into an email. One function serves text nodes and quoted attribute
// values alike: the compiled layouts only ever put slots in those two places (checked at build time).

const SPECIAL = /[&<>"'`]/;

/** Escapes `& < > " ' \`` so a value can only ever be text, never markup. */
export function escapeHtml(value: string): string {
  // Most values (codes, addresses, app names) contain nothing to escape: test first, rewrite rarely.
  if (!SPECIAL.test(value)) return value;
  let out = '';
  let last = 0;
  for (let i = 0; i < value.length; i++) {
    let entity: string;
    switch (value.charCodeAt(i)) {
      case 38: // &
        entity = '&amp;';
        break;
      case 60: // <
        entity = '&lt;';
        break;
      case 62: // >
        entity = '&gt;';
        break;
      case 34: // "
        entity = '&quot;';
        break;
      case 39: // '
        entity = '&#39;';
        break;
      case 96: // ` : not special in HTML5, but old IE treated it as an attribute quote; escaping it costs nothing
        entity = '&#96;';
        break;
      default:
        continue;
    }
    out += value.slice(last, i) + entity;
    last = i + 1;
  }
  return out + value.slice(last);
}
