/** Pure, build-time part of <Quiz>: validates the props and derives what the markup needs. */
export interface QuizProps {
  question: string;
  choices: string[];
  answer: number;
  explain?: string;
}

export interface QuizModel {
  id: string;
  question: string;
  choices: string[];
  answer: number;
  explain: string;
  letters: string[];
}

/** Short, stable id from the question text (FNV-1a), so radio groups never clash on a page. */
export function stableId(prefix: string, text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${prefix}-${h.toString(36)}`;
}

export function quizModel(p: QuizProps): QuizModel {
  if (typeof p.question !== 'string' || p.question.trim() === '') {
    throw new Error('<Quiz>: `question` is required');
  }
  if (!Array.isArray(p.choices) || p.choices.length < 2) {
    throw new Error(`<Quiz question="${p.question}">: \`choices\` needs at least two entries`);
  }
  if (!Number.isInteger(p.answer) || p.answer < 0 || p.answer >= p.choices.length) {
    throw new Error(
      `<Quiz question="${p.question}">: \`answer\` must be the index of a choice (0..${p.choices.length - 1}), got ${String(p.answer)}`,
    );
  }
  return {
    id: stableId('cl-quiz', p.question + '\u0000' + p.choices.join('\u0000')),
    question: p.question,
    choices: p.choices.map(String),
    answer: p.answer,
    explain: p.explain ?? '',
    letters: p.choices.map((_, i) => String.fromCharCode(65 + i)),
  };
}

/** The verdict shown after a choice (pure, so it is tested in Node). */
export function gradeChoice(model: Pick<QuizModel, 'answer' | 'letters' | 'choices'>, picked: number): { correct: boolean; text: string } {
  const correct = picked === model.answer;
  const right = `${model.letters[model.answer]}. ${model.choices[model.answer]}`;
  return {
    correct,
    text: correct ? `Correct: ${right}.` : `Not quite — you picked ${model.letters[picked]}. The answer is ${right}.`,
  };
}
