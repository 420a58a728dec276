/**
 * Client side of <Quiz>: enables the radios, grades each pick with two tries, reveals the
 * explanation when the quiz is done, and tells the page (the progress page listens) with
 *   document.dispatchEvent(new CustomEvent('collapse-lab:quiz', { detail: { page, quiz, correct } }))
 * once per quiz and page view. Plain DOM, no framework; the data it needs is in the markup.
 * Astro bundles and dedupes component scripts, so this runs once per page.
 */
import { gradeAttempt, QUIZ_EVENT, type QuizEventDetail } from './quiz-model.ts';

export function initQuizzes(root: ParentNode, doc: Document = document): void {
  for (const quiz of Array.from(root.querySelectorAll<HTMLElement>('[data-cl-quiz]'))) {
    if (quiz.dataset.clReady) continue;
    quiz.dataset.clReady = '1';
    const answer = Number(quiz.dataset.answer);
    const quizId = quiz.dataset.clQuizId ?? quiz.id;
    const feedback = quiz.querySelector<HTMLElement>('[data-cl-quiz-feedback]');
    const details = quiz.querySelector<HTMLDetailsElement>('[data-cl-quiz-details]');
    const explain = quiz.querySelector('[data-cl-explain]')?.textContent ?? '';
    const inputs = Array.from(quiz.querySelectorAll<HTMLInputElement>('[data-cl-quiz-input]'));
    const choices = inputs.map((i) => i.closest('label')?.querySelector('[data-cl-choice]')?.textContent ?? '');
    const why = inputs.map((_, i) => quiz.querySelector(`[data-cl-why="${i}"]`)?.textContent ?? '');
    const letters = inputs.map((_, i) => String.fromCharCode(65 + i));
    const model = { answer, letters, choices, why, explain };
    let attempts = 0;
    let done = false;
    if (details) details.hidden = true; // graded in the page now; the print stylesheet still shows it
    for (const input of inputs) {
      input.disabled = false;
      input.addEventListener('change', () => {
        if (done) return; // the answer is shown; later clicks change nothing
        const picked = Number(input.value);
        attempts++;
        const verdict = gradeAttempt(model, picked, attempts);
        const li = input.closest('li');
        if (!verdict.correct) li?.classList.add('cl-wrong');
        if (verdict.done) {
          done = true;
          inputs[answer]?.closest('li')?.classList.add('cl-right');
          quiz.dataset.clDone = verdict.correct ? 'right' : 'wrong';
          const detail: QuizEventDetail = { page: location.pathname, quiz: quizId, correct: verdict.correct };
          doc.dispatchEvent(new CustomEvent(QUIZ_EVENT, { detail }));
        } else {
          // the wrong pick cannot be picked again; focus stays in the group
          input.disabled = true;
        }
        if (feedback) {
          feedback.className = 'cl-quiz-feedback ' + (verdict.correct ? 'cl-right' : verdict.done ? 'cl-wrong' : 'cl-retry');
          feedback.textContent = verdict.text;
        }
      });
    }
  }
}
