const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

const named: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

/** Decodes the entities escaping produces plus numeric ones; unknown names stay as written. */
export function decodeEntities(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+|#39);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x')) return safeCodePoint(Number.parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#')) return safeCodePoint(Number.parseInt(lower.slice(1), 10), whole);
    return named[lower] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

const urlPattern = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;

/**
 * The HTML part of a plain-text message: every character escaped, links made clickable,
 * paragraphs at blank lines and line breaks kept.
 *
 * @example
 * textToHtml('Hi <b>\n\nhttps://x.example/t?a=1&b=2');
 * // '<p>Hi &lt;b&gt;</p>\n<p><a href="https://x.example/t?a=1&amp;b=2">https://x.example/t?a=1&amp;b=2</a></p>'
 */
export function textToHtml(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((p) => p.replace(/^\n+|\n+$/g, ''))
    .filter((p) => p.trim() !== '');
  return paragraphs
    .map((p) => {
      // Links are found before escaping so `&` in a query string is part of the link; each piece
      // is escaped on its own, so nothing of the text reaches the HTML unescaped.
      let out = '';
      let last = 0;
      for (const match of p.matchAll(urlPattern)) {
        out += escapeHtml(p.slice(last, match.index));
        const url = escapeHtml(match[0]);
        out += `<a href="${url}">${url}</a>`;
        last = match.index + match[0].length;
      }
      out += escapeHtml(p.slice(last));
      return `<p>${out.replace(/\n/g, '<br>\n')}</p>`;
    })
    .join('\n');
}

/**
 * The plain-text part of an HTML message: blocks and `<br>` become line breaks, a link becomes
 * `label (url)` (or the url alone when the label is the url), list items start with `- `, other
 * tags are dropped and entities decoded. Values rendered into the HTML were escaped, so a member's
 * `<script>` survives as text rather than being taken for a tag.
 *
 * @example
 * htmlToText('<p>Hello &lt;you&gt;</p><p><a href="https://x.example">Start</a></p>');
 * // 'Hello <you>\n\nStart (https://x.example)'
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/\r\n?/g, '\n')
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    // Source line breaks are layout in HTML, not text.
    .replace(/\s*\n\s*/g, ' ')
    .replace(
      /<a\b[^>]*?\bhref\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_m, _q, dq, sq, inner) => {
        const href = decodeEntities(dq ?? sq ?? '');
        const label = decodeEntities(inner.replace(/<[^>]*>/g, '')).trim();
        const escapedHref = escapeHtml(href);
        if (label === '' || label === href) return escapedHref;
        return `${escapeHtml(label)} (${escapedHref})`;
      },
    )
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/?(p|div|h[1-6]|ul|ol|table|tr|blockquote|section|article|header|footer)\b[^>]*>/gi, '\n\n')
    .replace(/<\/li\s*>/gi, '')
    .replace(/<\/(td|th)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
