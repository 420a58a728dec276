// The learner-facing side of a run for the light grader page: the same renderer as the chapter
// page (src/components/exercise/results.ts) and the same verdict rule as run-control.ts, so a test
// reads exactly the text a learner would. A chunk of its own (dynamic import from page.ts): the
// page chunk stays small (tests/grading/browser-runner.test.ts checks its size).
import type { RunResult } from '../../../src/grading/types.ts';
import { renderResults } from '../../../src/components/exercise/results.ts';

export function render(r: RunResult): { state: string; text: string } {
  let area = document.querySelector<HTMLElement>('[data-part="results"]');
  if (!area) {
    area = document.createElement('div');
    area.dataset.part = 'results';
    document.body.append(area);
  }
  renderResults(area, r);
  const allPassed = r.total > 0 && r.passed === r.total && !r.compileError && !r.loadError;
  return { state: allPassed ? 'passed' : 'failed', text: area.innerText };
}
