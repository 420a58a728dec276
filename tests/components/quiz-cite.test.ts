import { describe, expect, it } from 'vitest';
import { gradeAttempt, gradeChoice, quizModel, stableId } from '../../src/components/pictures/quiz-model.ts';
import { citeModel } from '../../src/components/pictures/cite-model.ts';

const props = { question: 'Which lock?', choices: ['mmap lock', 'PTL', 'none'], answer: 1, explain: 'The PTL.' };

describe('<Quiz> model', () => {

  it('letters the choices and keeps the answer index', () => {
    const m = quizModel(props);
    expect(m.letters).toEqual(['A', 'B', 'C']);
    expect(m.answer).toBe(1);
    expect(m.id).toMatch(/^cl-quiz-[0-9a-z]+$/);
  });

  it('gives different questions different radio-group ids', () => {
    expect(quizModel(props).id).not.toBe(quizModel({ ...props, question: 'Which lock, again?' }).id);
    expect(stableId('x', 'a')).toBe(stableId('x', 'a'));
  });

  it('grades a choice and names the right answer when wrong', () => {
    const m = quizModel(props);
    expect(gradeChoice(m, 1)).toEqual({ correct: true, text: 'Correct: B. PTL.' });
    const wrong = gradeChoice(m, 0);
    expect(wrong.correct).toBe(false);
    expect(wrong.text).toContain('you picked A');
    expect(wrong.text).toContain('B. PTL');
  });

  it('rejects an answer index that points at no choice, naming the question', () => {
    expect(() => quizModel({ ...props, answer: 3 })).toThrow(/Which lock\?.*0\.\.2.*got 3/);
    expect(() => quizModel({ ...props, choices: ['only one'] })).toThrow(/at least two/);
  });

  it('requires an explanation, and a why per choice when whys are given', () => {
    expect(() => quizModel({ ...props, explain: '' })).toThrow(/Which lock\?.*explain/);
    expect(() => quizModel({ ...props, explain: undefined as unknown as string })).toThrow(/explain/);
    expect(() => quizModel({ ...props, why: ['a', 'b'] })).toThrow(/one entry per choice \(3\), got 2/);
    expect(quizModel({ ...props, why: ['no', '', 'never'] }).why).toEqual(['no', '', 'never']);
    expect(quizModel(props).why).toEqual(['', '', '']);
  });

  it('uses an explicit id for the event, and refuses one that is not a slug', () => {
    expect(quizModel({ ...props, id: 'ch2-lock' }).id).toBe('cl-quiz-ch2-lock');
    expect(() => quizModel({ ...props, id: 'Bad Id' })).toThrow(/lower-case/);
  });
});

describe('<Quiz> two tries', () => {
  const m = quizModel({ ...props, why: ['The mmap lock protects the VMA layout, not the PTEs.', '', ''] });

  it('a right first pick finishes the quiz with the explanation', () => {
    expect(gradeAttempt(m, 1, 1)).toEqual({ correct: true, done: true, text: 'Correct: B. PTL. The PTL.' });
  });

  it('a wrong first pick explains that choice, hides the answer and offers a second try', () => {
    const a = gradeAttempt(m, 0, 1);
    expect(a.correct).toBe(false);
    expect(a.done).toBe(false);
    expect(a.text).toContain('The mmap lock protects the VMA layout');
    expect(a.text).toContain('Try once more');
    expect(a.text).not.toContain('PTL');
    expect(a.text).not.toContain('The answer is');
  });

  it('a wrong first pick without a why still hides the answer', () => {
    const a = gradeAttempt(m, 2, 1);
    expect(a).toEqual({ correct: false, done: false, text: 'Not quite — C is not it. Try once more.' });
  });

  it('the second pick finishes: right after a wrong one, or wrong twice naming the answer', () => {
    expect(gradeAttempt(m, 1, 2)).toMatchObject({ correct: true, done: true });
    const twice = gradeAttempt(m, 2, 2);
    expect(twice.done).toBe(true);
    expect(twice.correct).toBe(false);
    expect(twice.text).toMatch(/^Not quite — you picked C\. The answer is B\. PTL\. The PTL\.$/);
  });
});

describe('<Cite> model', () => {
  it('keeps the link and shows the host', () => {
    expect(citeModel({ href: 'https://lore.kernel.org/all/abc@redhat.com/' })).toEqual({
      href: 'https://lore.kernel.org/all/abc@redhat.com/',
      host: 'lore.kernel.org',
      title: undefined,
    });
    expect(citeModel({ href: 'https://www.kernel.org/x' }).host).toBe('kernel.org');
  });

  it('refuses relative or non-http links', () => {
    expect(() => citeModel({ href: '/04-the-scan/' })).toThrow(/absolute URL/);
    expect(() => citeModel({ href: 'javascript:alert(1)' })).toThrow(/http\(s\)/);
  });
});
