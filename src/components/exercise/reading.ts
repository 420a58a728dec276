/**
 * Reading progress on every page (loaded with the sidebar marks): a page counts as read once the
 * end of its text has been on screen, and every quiz answer the Quiz component reports
 * (`collapse-lab:quiz` on document, detail `{ page, quiz, correct }`) is recorded. Stored by
 * src/lib/course-progress.ts beside the saved code; shown on the progress page.
 */
import { markRead, QUIZ_EVENT, READING_EVENT, recordQuiz } from '../../lib/course-progress.ts';

const changed = () => dispatchEvent(new CustomEvent(READING_EVENT));

document.addEventListener(QUIZ_EVENT, (e) => {
  const d = (e as CustomEvent<unknown>).detail as { page?: unknown; quiz?: unknown; correct?: unknown } | null;
  if (!d || typeof d.quiz !== 'string' || typeof d.correct !== 'boolean') return;
  if (recordQuiz(typeof d.page === 'string' && d.page ? d.page : location.pathname, d.quiz, d.correct)) changed();
});

// The progress page is about reading, not something to read: it is not counted.
const end = document.querySelector('.cl-progress, .cl-transfer') ? null : document.querySelector('.sl-markdown-content')?.lastElementChild;
if (end && 'IntersectionObserver' in window) {
  const io = new IntersectionObserver((entries) => {
    if (!entries.some((x) => x.isIntersecting)) return;
    io.disconnect();
    if (markRead(location.pathname)) changed();
  });
  io.observe(end);
}
