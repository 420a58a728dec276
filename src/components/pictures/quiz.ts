/**
 * Client side of <Quiz>: enables the radios, grades on change, reveals the explanation.
 * Plain DOM, no framework. Astro bundles and dedupes component scripts, so this runs once per page.
 */
import { gradeChoice } from './quiz-model.ts';

export function initQuizzes(root: ParentNode): void {
  for (const quiz of Array.from(root.querySelectorAll<HTMLElement>('[data-cl-quiz]'))) {
    if (quiz.dataset.clReady) continue;
    quiz.dataset.clReady = '1';
    const answer = Number(quiz.dataset.answer);
    const feedback = quiz.querySelector<HTMLElement>('[data-cl-quiz-feedback]');
    const details = quiz.querySelector<HTMLDetailsElement>('[data-cl-quiz-details]');
    const explain = quiz.querySelector('[data-cl-explain]')?.textContent ?? '';
    const inputs = Array.from(quiz.querySelectorAll<HTMLInputElement>('[data-cl-quiz-input]'));
    const choices = inputs.map((i) => i.closest('label')?.querySelector('[data-cl-choice]')?.textContent ?? '');
    const letters = inputs.map((_, i) => String.fromCharCode(65 + i));
    if (details) details.hidden = true; // graded in the page now; the print stylesheet still shows it
    for (const input of inputs) {
      input.disabled = false;
      input.addEventListener('change', () => {
        const picked = Number(input.value);
        const verdict = gradeChoice({ answer, letters, choices }, picked);
        for (const [i, other] of inputs.entries()) {
          const li = other.closest('li');
          li?.classList.toggle('cl-right', i === answer);
          li?.classList.toggle('cl-wrong', i === picked && !verdict.correct);
        }
        if (feedback) {
          feedback.className = 'cl-quiz-feedback ' + (verdict.correct ? 'cl-right' : 'cl-wrong');
          feedback.textContent = verdict.text + (explain ? ' ' + explain : '');
        }
      });
    }
  }
}
