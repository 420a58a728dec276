/**
 * Pure, build-time part of <Quiz>: validates the props and derives what the markup needs, and
 * grades attempts (the client script calls the same functions, so the rules are tested in Node).
 *
 * A quiz gives the learner two tries: a first wrong pick is marked and explained (with that
 * choice's own `why` when the author wrote one) but the answer stays hidden; the second pick, or
 * a right first pick, finishes the quiz and shows the answer with the explanation.
 */
export interface QuizProps {
  question: string;
  choices: string[];
  answer: number;
  /** Why the answer is right. Required: every quiz explains its answer. */
  explain: string;
  /** Optional, one per choice: why that choice is right or wrong ('' where nothing extra helps). */
  why?: string[];
  /** Optional stable id for the `collapse-lab:quiz` event; default: a hash of question and choices. */
  id?: string;
}

export interface QuizModel {
  id: string;
  question: string;
  choices: string[];
  answer: number;
  explain: string;
  why: string[];
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
  if (typeof p.explain !== 'string' || p.explain.trim() === '') {
    throw new Error(`<Quiz question="${p.question}">: \`explain\` is required — say why the answer is right`);
  }
  if (p.why !== undefined && (!Array.isArray(p.why) || p.why.length !== p.choices.length)) {
    throw new Error(
      `<Quiz question="${p.question}">: \`why\` needs one entry per choice (${p.choices.length}), got ${Array.isArray(p.why) ? p.why.length : typeof p.why}`,
    );
  }
  if (p.id !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(p.id)) {
    throw new Error(`<Quiz question="${p.question}">: \`id\` must be lower-case letters, digits and dashes, got "${p.id}"`);
  }
  return {
    id: p.id ? `cl-quiz-${p.id}` : stableId('cl-quiz', p.question + '\u0000' + p.choices.join('\u0000')),
    question: p.question,
    choices: p.choices.map(String),
    answer: p.answer,
    explain: p.explain,
    why: (p.why ?? p.choices.map(() => '')).map(String),
    letters: p.choices.map((_, i) => String.fromCharCode(65 + i)),
  };
}

export type QuizGradeModel = Pick<QuizModel, 'answer' | 'letters' | 'choices'> & Partial<Pick<QuizModel, 'why' | 'explain'>>;

/** The verdict on one pick, whatever the attempt (pure, so it is tested in Node). */
export function gradeChoice(model: QuizGradeModel, picked: number): { correct: boolean; text: string } {
  const correct = picked === model.answer;
  const right = `${model.letters[model.answer]}. ${model.choices[model.answer]}`;
  return {
    correct,
    text: correct ? `Correct: ${right}.` : `Not quite — you picked ${model.letters[picked]}. The answer is ${right}.`,
  };
}

export interface Attempt {
  correct: boolean;
  /** true when the quiz is over: the answer and its explanation may be shown. */
  done: boolean;
  /** What the learner is told (the feedback line). */
  text: string;
}

/**
 * Grade pick number `attempt` (1 or more). A wrong first pick is not the end: the learner hears
 * why that choice is wrong (its `why`, if any) and gets a second try; the answer is named only
 * when the quiz is done (right pick, or a second wrong pick).
 */
export function gradeAttempt(model: QuizGradeModel, picked: number, attempt: number): Attempt {
  const why = model.why?.[picked]?.trim() ?? '';
  const explain = model.explain?.trim() ?? '';
  const correct = picked === model.answer;
  if (correct) {
    const base = gradeChoice(model, picked).text;
    return { correct, done: true, text: [base, explain].filter(Boolean).join(' ') };
  }
  if (attempt <= 1) {
    const text = `Not quite — ${model.letters[picked]} is not it.${why ? ' ' + why : ''} Try once more.`;
    return { correct, done: false, text };
  }
  const base = gradeChoice(model, picked).text;
  return { correct, done: true, text: [base, why, explain].filter(Boolean).join(' ') };
}

/** The detail of the `collapse-lab:quiz` event the page dispatches when a quiz is done. */
export interface QuizEventDetail {
  page: string;
  quiz: string;
  correct: boolean;
}

export const QUIZ_EVENT = 'collapse-lab:quiz';
