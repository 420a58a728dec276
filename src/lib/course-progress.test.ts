import { describe, expect, it } from 'vitest';
import { COURSE_PROGRESS_KEY, exportableProgress, loadProgress, markRead, mergeProgress, pageSlug, parseProgress, recordQuiz } from './course-progress.ts';
import type { KeyValueStore } from './storage.ts';

function memoryStore(quota?: number): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  const size = () => [...map].reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem(k, v) {
      const before = map.get(k);
      map.set(k, v);
      if (quota !== undefined && size() > quota) {
        if (before === undefined) map.delete(k);
        else map.set(k, before);
        throw new DOMException('full', 'QuotaExceededError');
      }
    },
    removeItem: (k) => void map.delete(k),
    key: (i) => [...map.keys()][i] ?? null,
    get length() {
      return map.size;
    },
  };
}
const at = (iso: string) => () => new Date(iso);

describe('reading progress', () => {
  it('normalises page paths to slugs', () => {
    expect(pageSlug('/04-the-scan/')).toBe('04-the-scan');
    expect(pageSlug('http://x.test/appendix/glossary/#top')).toBe('appendix/glossary');
    expect(pageSlug('04-the-scan')).toBe('04-the-scan');
  });

  it('records pages read (first time kept) and quiz answers (latest kept, a right answer remembered)', () => {
    const s = memoryStore();
    expect(markRead('/04-the-scan/', s, at('2026-01-01T00:00:00.000Z'))).toBe(true);
    expect(markRead('/04-the-scan/', s, at('2026-02-01T00:00:00.000Z'))).toBe(false);
    recordQuiz('/04-the-scan/', 'cl-quiz-abc', true, s, at('2026-01-01T00:01:00.000Z'));
    recordQuiz('/04-the-scan/', 'cl-quiz-abc', false, s, at('2026-01-01T00:02:00.000Z'));
    expect(loadProgress(s).progress).toEqual({
      chapters: { '04-the-scan': { readAt: '2026-01-01T00:00:00.000Z' } },
      quizzes: { '04-the-scan': { 'cl-quiz-abc': { correct: false, answeredAt: '2026-01-01T00:02:00.000Z', everCorrect: true } } },
    });
  });

  it('sets damaged stored progress aside and keeps the readable part', () => {
    const s = memoryStore();
    s.setItem(COURSE_PROGRESS_KEY, JSON.stringify({ chapters: { '01-start-here': { readAt: '2026-01-01T00:00:00.000Z' }, 'BAD SLUG': { readAt: 1 } } }));
    const r = loadProgress(s, at('2026-03-03T00:00:00.000Z'));
    expect(Object.keys(r.progress.chapters)).toEqual(['01-start-here']);
    expect(r.setAsideTo).toBe(`${COURSE_PROGRESS_KEY}:corrupt:2026-03-03T00:00:00.000Z`);
    expect(s.getItem(r.setAsideTo!)).toContain('BAD SLUG');
  });

  it('merges an imported progress, dropping pages the course does not have', () => {
    const s = memoryStore();
    markRead('02-khugepaged', s, at('2026-01-05T00:00:00.000Z'));
    const flood = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`made-up-${i}`, { readAt: '2026-01-01T00:00:00.000Z' }]));
    const r = mergeProgress(
      { chapters: { ...flood, '02-khugepaged': { readAt: '2026-01-01T00:00:00.000Z' }, '04-the-scan': { readAt: '2026-01-02T00:00:00.000Z' } }, quizzes: { '04-the-scan': { q1: { correct: true, answeredAt: '2026-01-02T00:00:00.000Z' } } } },
      ['02-khugepaged', '04-the-scan'],
      s,
    );
    expect(r).toMatchObject({ chapters: 1, quizzes: 1, saved: true });
    expect(r.dropped).toBe(3000);
    const p = exportableProgress(s)!;
    expect(Object.keys(p.chapters).sort()).toEqual(['02-khugepaged', '04-the-scan']);
    expect(p.chapters['02-khugepaged']!.readAt).toBe('2026-01-01T00:00:00.000Z');
    expect(p.quizzes['04-the-scan']!.q1).toEqual({ correct: true, answeredAt: '2026-01-02T00:00:00.000Z', everCorrect: true });
  });

  it('parseProgress tolerates junk without throwing', () => {
    for (const junk of [null, 42, 'x', [], { chapters: 'no' }, { quizzes: { p: 'no' } }]) {
      expect(() => parseProgress(junk)).not.toThrow();
    }
    expect(parseProgress(undefined)).toEqual({ progress: { chapters: {}, quizzes: {} }, dropped: 0 });
  });

  it('a full storage refuses progress quietly and never evicts anything', () => {
    const s = memoryStore(50);
    s.setItem('collapse-lab:v1:ex', '{"code":"x","savedAt":"t"}');
    expect(markRead('04-the-scan', s)).toBe(false);
    expect(s.getItem('collapse-lab:v1:ex')).toBe('{"code":"x","savedAt":"t"}');
  });
});

describe('progress in the work export', () => {
  it('is an optional field the Node reader accepts and grading ignores', async () => {
    const { parseWork } = await import('../grading/work.ts');
    const s = memoryStore();
    markRead('04-the-scan', s, at('2026-01-01T00:00:00.000Z'));
    const file = { format: 'collapse-lab-work', version: 1, course: '1.0.0', exportedAt: '2026-01-02T00:00:00.000Z', exercises: {}, progress: exportableProgress(s) };
    const work = parseWork(JSON.parse(JSON.stringify(file)));
    expect(Object.keys(work)).toEqual(['format', 'version', 'course', 'exportedAt', 'exercises']);
  });
});
