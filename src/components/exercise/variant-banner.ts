/**
 * "Your variant: …" on an exercise when the page is opened with `?seed=<student id>` (issue 15).
 * Loaded only when the address has a seed (boot.ts: one dynamic import behind that test), so a
 * page without a seed pays nothing. The derivation is src/grading/variant.ts, the same code
 * `grade --seed` and `grade --class --seeds student` run in Node.
 *
 *   mountVariantBanner(root)                 root = section.cl-exercise[data-exercise]
 *
 * The browser runner grades the same variant with bindVariantForSearch (src/grading/variant.ts).
 */
import { deriveVariant, describeVariant, normalizeSeed, seedFromSearch, VariantError } from '../../grading/variant.ts';

/**
 * What the banner says for exercise `id` and query string `search`: null when there is no seed or
 * the exercise has no variants; `{ kind: 'error' }` when the seed cannot be used.
 */
export function variantBannerText(id: string, search: string): { kind: 'variant' | 'error'; text: string } | null {
  const raw = seedFromSearch(search);
  if (raw === null) return null;
  try {
    const seed = normalizeSeed(raw);
    const v = deriveVariant(id, seed);
    if (!v) return null;
    return { kind: 'variant', text: `Your variant (seed “${seed}”): ${describeVariant(v)}.` };
  } catch (e) {
    const why = e instanceof VariantError ? e.message : 'it could not be read';
    return { kind: 'error', text: `The seed in this page's address cannot be used (${why}); you are doing the exercise as written.` };
  }
}

/** Put the banner at the top of the exercise (after its header). Returns it, or null when there is nothing to say. */
export function mountVariantBanner(root: HTMLElement, search: string = location.search): HTMLElement | null {
  const id = root.dataset.exercise;
  if (!id) return null;
  const said = variantBannerText(id, search);
  root.querySelector('.cl-variant')?.remove();
  if (!said) return null;
  const p = document.createElement('p');
  p.className = `cl-variant cl-variant-${said.kind}`;
  p.setAttribute('role', said.kind === 'error' ? 'alert' : 'note');
  p.textContent = said.text; // text, never HTML: the seed comes from the address bar
  const head = root.querySelector('header');
  if (head) head.after(p);
  else root.prepend(p);
  return p;
}
