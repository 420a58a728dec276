/**
 * The progress page (content/progress.mdx, ./Progress.astro): exercise statuses from localStorage
 * (a pass that only came with an import says "imported — not run here"), "continue where you left
 * off", chapters read and quizzes answered, the backups of the learner's code with Restore, and
 * Export / Import in the work format of src/grading/work.ts plus an optional `progress` field
 * (chapters and quizzes; see src/lib/course-progress.ts).
 */
import { makeWork, parseWork } from '../../grading/work.ts';
import {
  exportableProgress,
  loadProgress,
  mergeProgress,
  READING_EVENT,
  type ProgressMerge,
} from '../../lib/course-progress.ts';
import {
  allSaved,
  browserStore,
  exportableExercises,
  importExercises,
  isDataKey,
  listKept,
  PROGRESS_EVENT,
  restoreKept,
  type ImportReport,
  type KeptItem,
} from '../../lib/storage.ts';
import { h } from './dom.ts';

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function fillTable(): void {
  const saved = allSaved();
  const rows = [...document.querySelectorAll<HTMLTableRowElement>('.cl-progress tr[data-exercise]')];
  let passed = 0;
  let started = 0;
  for (const tr of rows) {
    const id = tr.dataset.exercise!;
    const cell = tr.querySelector<HTMLElement>('[data-part="status"]')!;
    const s = saved[id];
    if (s?.passed && !s.passedImported) {
      passed++;
      started++;
      cell.dataset.status = 'passed';
      cell.textContent = `✓ Passed${s.passedAt ? ` (${when(s.passedAt)})` : ''}`;
    } else if (s?.passed) {
      started++;
      cell.dataset.status = 'imported';
      cell.textContent = 'Passed? imported — not run here: open it and run the tests';
    } else if (s) {
      started++;
      cell.dataset.status = 'started';
      cell.textContent = `Started — saved ${when(s.savedAt)}`;
    } else {
      cell.dataset.status = 'not-started';
      cell.textContent = 'Not started';
    }
  }
  const summary = document.querySelector<HTMLElement>('.cl-progress [data-part="summary"]');
  if (summary) {
    summary.textContent = `${passed} of ${rows.length} exercises passed, ${started - passed} started. Your progress is kept in this browser only.`;
  }
  // Continue where you left off: the most recently saved exercise that has not passed here yet.
  const cont = document.querySelector<HTMLElement>('.cl-progress [data-part="continue"]');
  if (cont) {
    const open = Object.entries(saved)
      .filter(([id, s]) => !(s.passed && !s.passedImported) && rows.some((r) => r.dataset.exercise === id))
      .sort(([, a], [, b]) => b.savedAt.localeCompare(a.savedAt))[0];
    if (open) {
      const row = rows.find((r) => r.dataset.exercise === open[0])!;
      const link = row.querySelector('th a')!.cloneNode(true) as HTMLAnchorElement;
      cont.replaceChildren('Continue where you left off: ', link, ` (saved ${when(open[1].savedAt)}).`);
      cont.hidden = false;
    } else {
      cont.hidden = true;
    }
  }
}

function fillReading(): void {
  const box = document.querySelector<HTMLElement>('.cl-reading');
  if (!box) return;
  const { progress } = loadProgress();
  const rows = [...box.querySelectorAll<HTMLTableRowElement>('tr[data-page]')];
  let read = 0;
  let answered = 0;
  let right = 0;
  let quizTotal = 0;
  for (const tr of rows) {
    const page = tr.dataset.page!;
    const total = Number(tr.dataset.quizzes ?? 0);
    quizTotal += total;
    const r = progress.chapters[page];
    const readCell = tr.querySelector<HTMLElement>('[data-part="read"]')!;
    readCell.dataset.status = r ? 'passed' : 'not-started';
    readCell.textContent = r ? `✓ Read (${when(r.readAt)})` : 'Not yet';
    if (r) read++;
    const qs = Object.values(progress.quizzes[page] ?? {});
    const a = Math.min(qs.length, total || qs.length);
    const ok = Math.min(qs.filter((q) => q.correct).length, a);
    answered += a;
    right += ok;
    const qCell = tr.querySelector<HTMLElement>('[data-part="quizzes"]')!;
    if (total === 0 && qs.length === 0) qCell.textContent = '—';
    else {
      qCell.dataset.status = total > 0 && a >= total ? 'passed' : a > 0 ? 'started' : 'not-started';
      qCell.textContent = `${a} of ${total} answered${a ? `, ${ok} right` : ''}`;
    }
  }
  const summary = box.querySelector<HTMLElement>('[data-part="reading-summary"]');
  if (summary) {
    summary.textContent = `${read} of ${rows.length} chapters read to the end; ${answered} of ${quizTotal} quizzes answered (${right} right on the latest try).`;
  }
}

function downloadText(name: string, text: string, type = 'application/json'): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const REASON: Record<string, string> = {
  'other-page': 'saved in another tab or window, then saved over by a page that had not seen it',
  import: 'replaced by an import',
  restore: 'replaced when you restored or loaded another version',
};

function fillBackups(): void {
  const box = document.querySelector<HTMLElement>('.cl-backups');
  if (!box) return;
  let titles: Record<string, string> = {};
  try {
    titles = JSON.parse(box.dataset.titles ?? '{}') as Record<string, string>;
  } catch {
    /* ids then */
  }
  const list = box.querySelector<HTMLElement>('[data-part="backup-list"]')!;
  const summary = box.querySelector<HTMLElement>('[data-part="backups-summary"]')!;
  const message = box.querySelector<HTMLElement>('[data-part="backup-message"]')!;
  const items = listKept();
  const current = allSaved();
  /** "first differs from your current code at line N" — the previews all start alike. */
  const firstDifference = (id: string, code: string): string => {
    const now = current[id]?.code;
    if (now === undefined) return 'no code is saved for this exercise now';
    if (now === code) return 'the same as your current code';
    const a = code.split('\n');
    const b = now.split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return `differs from your current code from line ${i + 1}`;
  };
  summary.textContent =
    items.length === 0
      ? 'No backups: no code has been replaced in this browser.'
      : `${plural(items.length, 'copy', 'copies')} of your code kept in this browser. Restoring one keeps the code it replaces here too.`;
  list.replaceChildren(
    ...items.map((it) => {
      const li = h('li', { class: 'cl-backup', 'data-exercise': it.id, 'data-kind': it.kind });
      const name = titles[it.id] ? `${titles[it.id]} (${it.id})` : it.id;
      if (it.kind === 'set-aside') {
        const dl = h('button', { type: 'button', class: 'cl-btn cl-btn--small', 'data-action': 'download' }, 'Download');
        dl.addEventListener('click', () => downloadText(`${it.key.replace(/[^\w.-]+/g, '_')}.txt`, it.raw, 'text/plain'));
        li.append(
          h('p', { class: 'cl-backup-head' }, h('strong', {}, name), h('span', {}, `unreadable data set aside under “${it.key}”, ${plural(it.raw.length, 'character')}`), dl),
        );
        return li;
      }
      const e = it.entry;
      const restore = h('button', { type: 'button', class: 'cl-btn cl-btn--small', 'data-action': 'restore' }, 'Restore');
      restore.addEventListener('click', () => {
        const r = restoreKept(it as Extract<KeptItem, { kind: 'backup' | 'legacy' }>);
        message.classList.toggle('cl-bad', !r.ok);
        message.textContent = r.ok
          ? `Restored the copy of ${name} from ${when(e.savedAt)}; the code it replaced is kept in this list.`
          : `Not restored: ${r.problem.message}`;
        dispatchEvent(new CustomEvent(PROGRESS_EVENT));
      });
      const lines = e.code.split('\n').length;
      li.append(
        h('p', { class: 'cl-backup-head' }, h('strong', {}, name), h('span', {}, `saved ${when(e.savedAt)} · ${REASON[e.reason] ?? e.reason} (${when(e.keptAt)}) · ${plural(lines, 'line')}, ${firstDifference(it.id, e.code)}`), restore),
        h('details', {}, h('summary', {}, 'Show this code'), h('pre', { tabindex: '0' }, e.code)),
      );
      return li;
    }),
  );
}

function importMessage(file: string, r: ImportReport, merged: ProgressMerge | null): { text: string; bad: boolean } {
  const parts = [`Imported ${plural(r.imported.length, 'exercise')} from ${file}`];
  if (r.unchanged.length) parts.push(`${r.unchanged.length} already identical here`);
  let text = parts.join('; ') + '.';
  if (r.backedUp.length) text += ` Your previous code for ${r.backedUp.map((b) => b.id).join(', ')} is kept under “Backups” below.`;
  if (r.unknown.length) {
    const shown = r.unknown.slice(0, 5).join(', ');
    text += ` Ignored ${plural(r.unknown.length, 'exercise id')} this course does not have: ${shown}${r.unknown.length > 5 ? `, and ${r.unknown.length - 5} more` : ''}.`;
  }
  if (r.skipped.length) text += ` Not imported: ${r.skipped.map((s) => `${s.id} (${s.why})`).join('; ')}.`;
  if (merged && (merged.chapters || merged.quizzes)) text += ` Reading progress: ${plural(merged.chapters, 'chapter')} read and ${plural(merged.quizzes, 'quiz answer', 'quiz answers')} added.`;
  if (merged?.dropped) text += ` ${plural(merged.dropped, 'progress entry', 'progress entries')} about pages this course does not have (or malformed) ignored.`;
  if (r.problem && !r.skipped.length) text += ` Not everything was imported: ${r.problem.message}`;
  return { text, bad: Boolean(r.problem || r.skipped.length) };
}

function setupTransfer(box: HTMLElement): void {
  const course = box.dataset.course ?? '0';
  const parseList = (s: string | undefined) => {
    try {
      const v: unknown = JSON.parse(s ?? '');
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
    } catch {
      return undefined;
    }
  };
  const known = parseList(box.dataset.exercises);
  const pages = parseList(box.dataset.pages);
  const exportBtn = box.querySelector<HTMLButtonElement>('[data-action="export"]')!;
  const input = box.querySelector<HTMLInputElement>('[data-action="import"]')!;
  const message = box.querySelector<HTMLElement>('[data-part="message"]')!;
  const say = (text: string, bad = false) => {
    message.textContent = text;
    message.classList.toggle('cl-bad', bad);
  };
  if (!browserStore()) {
    say('This browser does not let the page use local storage, so there is no saved work to export or import into.', true);
    return;
  }
  exportBtn.disabled = false;
  input.disabled = false;

  exportBtn.addEventListener('click', () => {
    const exercises = exportableExercises();
    const n = Object.keys(exercises).length;
    const work = makeWork(course, exercises);
    // Optional `progress` field (chapters read, quizzes answered): additive to format v1; the
    // Node reader ignores it (src/grading/work.ts).
    const progress = exportableProgress();
    const file = progress ? { ...work, progress } : work;
    const name = `collapse-lab-work-${work.exportedAt.slice(0, 10)}.json`;
    downloadText(name, JSON.stringify(file, null, 2) + '\n');
    say(
      n === 0
        ? `Exported ${progress ? 'your reading progress only' : 'an empty file'}: no exercise has saved code in this browser yet.`
        : `Exported ${plural(n, 'exercise')}${progress ? ' and your reading progress' : ''} to ${name}.`,
    );
  });

  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const text = await file.text();
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = text; // parseWork then throws its own message about the JSON
      }
      // `progress` is read here; the rest must be a valid work export.
      let progress: unknown;
      if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'progress' in raw) {
        const { progress: p, ...rest } = raw as Record<string, unknown>;
        progress = p;
        raw = rest;
      }
      const work = parseWork(raw);
      const r = importExercises(work.exercises, browserStore(), () => new Date(), known ? { known } : {});
      const merged = progress === undefined ? null : mergeProgress(progress, pages);
      const m = importMessage(file.name, r, merged);
      say(m.text, m.bad);
      dispatchEvent(new CustomEvent(PROGRESS_EVENT));
      dispatchEvent(new CustomEvent(READING_EVENT));
    } catch (e) {
      say(`Nothing was imported: ${e instanceof Error ? e.message : String(e)}`, true);
    } finally {
      input.value = '';
    }
  });
}

const refresh = () => {
  fillTable();
  fillReading();
  fillBackups();
};
refresh();
addEventListener(PROGRESS_EVENT, refresh);
addEventListener(READING_EVENT, fillReading);
addEventListener('storage', (e) => {
  if (isDataKey(e.key)) refresh();
});
for (const box of document.querySelectorAll<HTMLElement>('.cl-transfer')) setupTransfer(box);
