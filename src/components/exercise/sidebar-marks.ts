/**
 * Progress marks in Starlight's sidebar (rendered by src/components/overrides/Sidebar.astro).
 * A chapter link gets "✓" when every exercise of the chapter has passed in this browser and
 * "n/m" when some have. Updates live on a pass in this tab and on storage events from others.
 */
import { browserStore, hasPassed, isDataKey, PROGRESS_EVENT } from '../../lib/storage.ts';
// Reading progress (pages read, quiz answers) rides along: this script is on every page.
import './reading.ts';

function chapterMap(): Record<string, string[]> {
  try {
    return JSON.parse(document.getElementById('cl-chapter-exercises')?.textContent || '{}') as Record<string, string[]>;
  } catch {
    return {};
  }
}

function update(): void {
  const map = chapterMap();
  const store = browserStore();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.sidebar-content a[href], #starlight__sidebar a[href]')) {
    const path = new URL(a.href, location.href).pathname.replace(/\/+$/, '');
    const slug = Object.keys(map).find((s) => path === `/${s}` || path.endsWith(`/${s}`));
    a.querySelector('.cl-mark')?.remove();
    if (!slug) continue;
    const ids = map[slug]!;
    const passed = ids.filter((id) => hasPassed(id, store)).length;
    if (passed === 0) continue;
    const all = passed === ids.length;
    const mark = document.createElement('span');
    mark.className = all ? 'cl-mark' : 'cl-mark cl-mark--partial';
    mark.dataset.passed = `${passed}/${ids.length}`;
    const visible = document.createElement('span');
    visible.setAttribute('aria-hidden', 'true');
    visible.textContent = all ? '✓' : `${passed}/${ids.length}`;
    const sr = document.createElement('span');
    sr.className = 'sr-only';
    sr.textContent = all
      ? ` (exercise${ids.length > 1 ? 's' : ''} passed)`
      : ` (${passed} of ${ids.length} exercises passed)`;
    mark.title = all ? 'You passed this chapter’s exercises' : `${passed} of ${ids.length} exercises passed`;
    mark.append(visible, sr);
    a.append(mark);
  }
}

update();
addEventListener(PROGRESS_EVENT, update);
addEventListener('storage', (e) => {
  if (isDataKey(e.key)) update();
});
