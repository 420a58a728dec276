import { describe, expect, it } from 'vitest';
import { gradeChoice, quizModel, stableId } from '../../src/components/pictures/quiz-model.ts';
import { citeModel } from '../../src/components/pictures/cite-model.ts';

describe('<Quiz> model', () => {
  const props = { question: 'Which lock?', choices: ['mmap lock', 'PTL', 'none'], answer: 1, explain: 'The PTL.' };

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
