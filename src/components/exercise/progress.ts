/**
 * The progress page (content/progress.mdx, ./Progress.astro): statuses from localStorage,
 * "continue where you left off", and Export / Import in the work format of src/grading/work.ts.
 */
import { makeWork, parseWork } from '../../grading/work.ts';
import {
  allSaved,
  browserStore,
  exportableExercises,
  importExercises,
  PROGRESS_EVENT,
} from '../../lib/storage.ts';

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function fillTable(): void {
  const saved = allSaved();
  const rows = [...document.querySelectorAll<HTMLTableRowElement>('.cl-progress tr[data-exercise]')];
  let passed = 0;
  let started = 0;
  for (const tr of rows) {
    const id = tr.dataset.exercise!;
    const cell = tr.querySelector<HTMLElement>('[data-part="status"]')!;
    const s = saved[id];
    if (s?.passed) {
      passed++;
      started++;
      cell.dataset.status = 'passed';
      cell.textContent = `✓ Passed${s.passedAt ? ` (${when(s.passedAt)})` : ''}`;
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
  // Continue where you left off: the most recently saved exercise that has not passed yet.
  const cont = document.querySelector<HTMLElement>('.cl-progress [data-part="continue"]');
  if (cont) {
    const open = Object.entries(saved)
      .filter(([id, s]) => !s.passed && rows.some((r) => r.dataset.exercise === id))
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

function setupTransfer(box: HTMLElement): void {
  const course = box.dataset.course ?? '0';
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
    const blob = new Blob([JSON.stringify(work, null, 2) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `collapse-lab-work-${work.exportedAt.slice(0, 10)}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    say(
      n === 0
        ? 'Exported an empty file: no exercise has saved code in this browser yet.'
        : `Exported ${n} exercise${n === 1 ? '' : 's'} to ${a.download}.`,
    );
  });

  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const work = parseWork(await file.text());
      const r = importExercises(work.exercises);
      const parts = [`Imported ${r.imported.length} exercise${r.imported.length === 1 ? '' : 's'} from ${file.name}`];
      if (r.unchanged.length) parts.push(`${r.unchanged.length} already identical here`);
      let text = parts.join('; ') + '.';
      if (r.backedUp.length) {
        text += ` Your previous code was kept in local storage: ${r.backedUp.map((b) => `${b.id} → “${b.key}”`).join(', ')}.`;
      }
      if (r.problem) text += ` Not everything was imported: ${r.problem.message}`;
      say(text, Boolean(r.problem));
      dispatchEvent(new CustomEvent(PROGRESS_EVENT));
    } catch (e) {
      say(`Nothing was imported: ${e instanceof Error ? e.message : String(e)}`, true);
    } finally {
      input.value = '';
    }
  });
}

fillTable();
addEventListener(PROGRESS_EVENT, fillTable);
addEventListener('storage', fillTable);
for (const box of document.querySelectorAll<HTMLElement>('.cl-transfer')) setupTransfer(box);
