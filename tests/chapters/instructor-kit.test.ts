/**
 * The course's teaching contract, checked on the MDX sources (fast, no build):
 * quizzes are valid, explained and have stable unique ids; chapters 2–5 and 7 end with a
 * "What to take away" box; every exercise is framed the same way; no chapter shows a solution-only
 * line before its exercise, and <AfterExercise> comes after its exercise; every glossary primer
 * link lands on an anchor; the instructor guide's misconception table lists exactly the wrong
 * answers on disk.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTags } from '../../src/components/pictures/mdx-tags.ts';
import { quizModel, type QuizProps } from '../../src/components/pictures/quiz-model.ts';
import { giveaways, normalise } from '../../scripts/lab-leaks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const chapterFiles = readdirSync(join(root, 'content'))
  .filter((f) => /^\d\d-.*\.mdx$/.test(f))
  .sort();
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

describe('quizzes', () => {
  const ids = new Map<string, string>();
  for (const f of chapterFiles) {
    const src = read(`content/${f}`);
    const quizzes = findTags(src, ['Quiz'], f);
    it(`${f}: every quiz is valid, explained and has an explicit, unique id`, () => {
      for (const q of quizzes) {
        const where = `${f}:${q.line}`;
        const m = quizModel(q.props as unknown as QuizProps); // throws on a missing explanation
        expect(typeof q.props.id, `${where}: give the quiz an explicit id (the collapse-lab:quiz event carries it)`).toBe('string');
        expect(ids.get(m.id), `${where}: quiz id ${m.id} is also used at ${ids.get(m.id)}`).toBeUndefined();
        ids.set(m.id, where);
      }
    });
  }

  it('chapters 2–7 each have at least one layout-prediction question ("Layout …")', () => {
    for (const f of chapterFiles.filter((x) => /^0[2-7]-/.test(x))) {
      const qs = findTags(read(`content/${f}`), ['Quiz'], f).map((t) => String(t.props.question));
      expect(qs.some((q) => /\blayout\b/i.test(q)), `${f} has no question that gives a layout to predict`).toBe(true);
    }
  });
});

describe('chapter shape', () => {
  for (const f of chapterFiles.filter((x) => /^0[2-57]-/.test(x))) {
    it(`${f} ends with a "What to take away" box`, () => {
      const src = read(`content/${f}`);
      const box = src.lastIndexOf(':::tip[What to take away]');
      expect(box, 'no :::tip[What to take away] box').toBeGreaterThan(0);
      expect(src.slice(box).match(/^## /m), 'the take-away box must be the last section').toBeNull();
    });
  }

  const solutionLines = new Map(giveaways(root).map((g) => [g.id, g.lines]));
  for (const f of chapterFiles) {
    const src = read(`content/${f}`);
    const exercises = findTags(src, ['Exercise'], f);
    if (exercises.length === 0) continue;
    it(`${f}: every exercise is framed alike and no answer comes before it`, () => {
      for (const ex of exercises) {
        const id = String(ex.props.id);
        const offset = src.split('\n').slice(0, ex.line - 1).join('\n').length;
        const before = src.slice(0, offset);
        const section = before.slice(before.lastIndexOf('\n## '));
        expect(section, `${f}:${ex.line} <Exercise id="${id}">: the section must be headed "## Exercise: …"`).toMatch(/^\n## Exercise: \S/);
        for (const part of ['**You write:**', '**Done means:**', '**Time:** about']) {
          expect(section.includes(part), `${f}:${ex.line} <Exercise id="${id}">: the framing lacks ${part}`).toBe(true);
        }
        const text = normalise(before);
        const shown = (solutionLines.get(id) ?? []).filter((l) => text.includes(l));
        expect(shown, `${f}: lines of exercises/${id}/solution.ts appear before its exercise`).toEqual([]);
        const afterTag = src.indexOf(`<AfterExercise exercise="${id}"`);
        if (afterTag >= 0) expect(afterTag, `${f}: <AfterExercise exercise="${id}"> must come after the exercise`).toBeGreaterThan(offset);
      }
    });
  }
});

describe('glossary primers', () => {
  it('every primer link of the glossary lands on an anchor in its chapter', () => {
    const glossary = read('content/appendix/glossary.mdx');
    const links = [...glossary.matchAll(/\[Primer\]\(\.\.\/\.\.\/([\w-]+)\/#([\w-]+)\)/g)];
    expect(links.length).toBeGreaterThanOrEqual(5);
    for (const [, slug, anchor] of links) {
      expect(existsSync(join(root, 'content', `${slug}.mdx`)), `no chapter ${slug}`).toBe(true);
      expect(read(`content/${slug}.mdx`), `content/${slug}.mdx has no id="${anchor}"`).toContain(`id="${anchor}"`);
    }
  });
});

describe('instructor guide: misconception table', () => {
  it('lists exactly the wrong answers on disk (regenerate with npx node scripts/gen-misconceptions.ts)', () => {
    const guide = read('content/appendix/instructors.mdx');
    const block = guide.slice(guide.indexOf('misconceptions:start'), guide.indexOf('misconceptions:end'));
    const listed = new Set<string>();
    let current = '';
    for (const line of block.split('\n')) {
      const h = /^#### `([\w-]+)`/.exec(line);
      if (h) current = h[1]!;
      const w = /^- `wrong\/([\w.-]+\.ts)` — /.exec(line);
      if (w) listed.add(`${current}/${w[1]}`);
    }
    const onDisk = new Set<string>();
    for (const id of readdirSync(join(root, 'exercises'))) {
      const dir = join(root, 'exercises', id, 'wrong');
      if (existsSync(dir)) for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) onDisk.add(`${id}/${f}`);
    }
    expect([...listed].sort()).toEqual([...onDisk].sort());
  });
});
