/**
 * Client side of <Timeline> (no framework): Prev/Next buttons (and ←/→ when the buttons' toolbar
 * has focus) step through the attempt; the current step is highlighted in the SVG, scrolled into
 * view when the picture is wider than the page (the lane labels stay put: see timeline.ts), and
 * described in an aria-live region. Without JavaScript every step is listed (static HTML).
 */

/** Scroll the picture sideways, if needed, so the column [x, x+w) (SVG units) is in view right of the labels. */
function keepInView(scroller: HTMLElement, svg: SVGSVGElement, labels: Element | null, x: number, w: number): void {
  const vb = svg.viewBox.baseVal;
  const scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
  const labelW = labels ? labels.getBoundingClientRect().width : 0;
  const left = x * scale;
  const right = (x + w) * scale;
  const viewLeft = scroller.scrollLeft + labelW;
  const viewRight = scroller.scrollLeft + scroller.clientWidth;
  if (left >= viewLeft && right <= viewRight) return;
  const target = left < viewLeft ? left - labelW - 8 : right - scroller.clientWidth + 8;
  const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches;
  scroller.scrollTo({ left: Math.max(0, target), behavior: smooth ? 'smooth' : 'auto' });
}
export function initTimelines(root: ParentNode): void {
  for (const fig of Array.from(root.querySelectorAll<HTMLElement>('[data-cl-timeline]'))) {
    if (fig.dataset.clReady) continue;
    fig.dataset.clReady = '1';
    const controls = fig.querySelector<HTMLElement>('[data-cl-controls]');
    const live = fig.querySelector<HTMLElement>('[data-cl-live]');
    const current = fig.querySelector<SVGRectElement>('[data-cl-current]');
    const items = Array.from(fig.querySelectorAll<HTMLLIElement>('[data-cl-steps] > li'));
    const cols = Array.from(fig.querySelectorAll<SVGGElement>('svg [data-step]'));
    const prev = fig.querySelector<HTMLButtonElement>('[data-cl-prev]');
    const next = fig.querySelector<HTMLButtonElement>('[data-cl-next]');
    const pos = fig.querySelector<HTMLElement>('[data-cl-pos]');
    const scroller = fig.querySelector<HTMLElement>('[data-cl-scroll]');
    const svg = fig.querySelector<SVGSVGElement>('svg.cl-timeline-svg');
    const labels = fig.querySelector('svg.cl-timeline-labels');
    if (!controls || !live || !current || !prev || !next || !pos || items.length === 0) continue;
    let i = 0;
    const show = (to: number, announce: boolean) => {
      i = Math.max(0, Math.min(items.length - 1, to));
      items.forEach((li, k) => {
        li.classList.toggle('cl-now', k === i);
        li.classList.toggle('cl-past', k < i);
        if (k === i) li.setAttribute('aria-current', 'step');
        else li.removeAttribute('aria-current');
      });
      cols.forEach((g, k) => g.classList.toggle('cl-dim', k > i));
      const col = cols[i]?.querySelector('.cl-col');
      if (col) {
        current.setAttribute('x', col.getAttribute('x') ?? '0');
        current.setAttribute('visibility', 'visible');
        if (announce && scroller && svg) keepInView(scroller, svg, labels, Number(col.getAttribute('x')), Number(col.getAttribute('width')));
      }
      const focused = document.activeElement;
      prev.disabled = i === 0;
      next.disabled = i === items.length - 1;
      // a disabled button loses focus; keep the keyboard user inside the toolbar
      if (focused === next && next.disabled) prev.focus();
      else if (focused === prev && prev.disabled) next.focus();
      pos.textContent = `Step ${i + 1} of ${items.length}`;
      if (announce) live.textContent = `Step ${i + 1} of ${items.length}: ${items[i].textContent ?? ''}`;
    };
    prev.addEventListener('click', () => show(i - 1, true));
    next.addEventListener('click', () => show(i + 1, true));
    controls.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft') show(i - 1, true);
      else if (e.key === 'ArrowRight') show(i + 1, true);
      else if (e.key === 'Home') show(0, true);
      else if (e.key === 'End') show(items.length - 1, true);
      else return;
      e.preventDefault();
    });
    controls.hidden = false;
    fig.classList.add('cl-live');
    show(0, false);
  }
}
