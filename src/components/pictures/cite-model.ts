/** Pure part of <Cite>: validates the link and derives the host shown after the attribution. */
export function citeModel(p: { href: string; title?: string }): { href: string; host: string; title?: string } {
  let url: URL;
  try {
    url = new URL(p.href);
  } catch {
    throw new Error(`<Cite>: href must be an absolute URL, got ${JSON.stringify(p.href)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`<Cite>: href must be http(s), got ${JSON.stringify(p.href)}`);
  }
  return { href: url.href, host: url.hostname.replace(/^www\./, ''), title: p.title };
}
