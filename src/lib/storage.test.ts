import { describe, it, expect } from 'vitest';
import {
  allSaved,
  hashText,
  hasPassed,
  keyFor,
  loadExercise,
  saveExercise,
  updateExercise,
  exportableExercises,
  importExercises,
  type KeyValueStore,
} from './storage.ts';

/** An in-memory Web Storage with an optional byte quota and a "broken" switch. */
function memoryStore(opts: { quota?: number; broken?: boolean } = {}): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  const size = () => [...map].reduce((n, [k, v]) => n + k.length + v.length, 0);
  return {
    map,
    getItem(k) {
      if (opts.broken) throw new DOMException('denied', 'SecurityError');
      return map.has(k) ? map.get(k)! : null;
    },
    setItem(k, v) {
      if (opts.broken) throw new DOMException('denied', 'SecurityError');
      const before = map.get(k);
      map.set(k, v);
      if (opts.quota !== undefined && size() > opts.quota) {
        if (before === undefined) map.delete(k);
        else map.set(k, before);
        throw new DOMException('full', 'QuotaExceededError');
      }
    },
    removeItem(k) {
      map.delete(k);
    },
    key(i) {
      return [...map.keys()][i] ?? null;
    },
    get length() {
      return map.size;
    },
  };
}

const fixedNow = () => new Date('2026-01-02T03:04:05.000Z');

describe('storage', () => {
  it('hashText is stable and tells texts apart', () => {
    expect(hashText('abc')).toBe(hashText('abc'));
    expect(hashText('abc')).not.toBe(hashText('abd'));
    expect(hashText('')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('saves and loads an exercise under collapse-lab:v1:<id>', () => {
    const s = memoryStore();
    expect(saveExercise('early-abort', { code: 'x', savedAt: 't', starterHash: 'h' }, s)).toEqual({ ok: true });
    expect(s.map.has('collapse-lab:v1:early-abort')).toBe(true);
    expect(loadExercise('early-abort', s)).toEqual({ state: { code: 'x', savedAt: 't', starterHash: 'h' } });
  });

  it('moves corrupt data aside instead of deleting it, and reports it', () => {
    const s = memoryStore();
    s.setItem(keyFor('uffd-wp'), '{not json');
    const r = loadExercise('uffd-wp', s, fixedNow);
    expect(r.state).toBeNull();
    expect(r.problem?.kind).toBe('corrupt');
    expect(r.problem?.movedTo).toBe('collapse-lab:v1:uffd-wp:corrupt:2026-01-02T03:04:05.000Z');
    expect(s.getItem(r.problem!.movedTo!)).toBe('{not json');
    expect(s.getItem(keyFor('uffd-wp'))).toBeNull();
    // the set-aside entry is not mistaken for an exercise
    expect(Object.keys(allSaved(s))).toEqual([]);
  });

  it('treats well-formed JSON of the wrong shape as corrupt too', () => {
    const s = memoryStore();
    s.setItem(keyFor('softleaf'), '{"code": 42}');
    expect(loadExercise('softleaf', s, fixedNow).problem?.kind).toBe('corrupt');
  });

  it('when corrupt data cannot be moved (full), keeps it and pauses saving for that exercise', () => {
    const s = memoryStore({ quota: 60 });
    s.setItem(keyFor('a'), '{bad json padding...}');
    const r = loadExercise('a', s, fixedNow);
    expect(r.problem?.kind).toBe('corrupt');
    expect(r.problem?.movedTo).toBeUndefined();
    expect(s.getItem(keyFor('a'))).toBe('{bad json padding...}');
    const w = saveExercise('a', { code: 'new', savedAt: 't' }, s);
    expect(w.ok).toBe(false);
    expect(s.getItem(keyFor('a'))).toBe('{bad json padding...}');
  });

  it('reports a full store as "full" and an unusable one as "unavailable", without throwing', () => {
    const full = memoryStore({ quota: 10 });
    const r = saveExercise('early-abort', { code: 'a long piece of code', savedAt: 't' }, full);
    expect(r).toMatchObject({ ok: false, problem: { kind: 'full' } });
    const broken = memoryStore({ broken: true });
    expect(loadExercise('x', broken).problem?.kind).toBe('unavailable');
    expect(saveExercise('x', { code: '', savedAt: 't' }, broken)).toMatchObject({ ok: false, problem: { kind: 'unavailable' } });
    expect(loadExercise('x', null).problem?.kind).toBe('unavailable');
  });

  it('keeps "passed" sticky across later saves', () => {
    const s = memoryStore();
    updateExercise('e', { code: 'ok', passed: true, passedAt: 'p' }, s, fixedNow);
    expect(hasPassed('e', s)).toBe(true);
    updateExercise('e', { code: 'edited later' }, s, fixedNow);
    expect(loadExercise('e', s).state).toMatchObject({ code: 'edited later', passed: true, passedAt: 'p' });
  });
});

describe('export and import', () => {
  it('exports saved exercises in the work-file field set and imports them back', () => {
    const a = memoryStore();
    updateExercise('early-abort', { code: 'A', starterHash: 'h1', passed: true, passedAt: 'p' }, a, fixedNow);
    updateExercise('uffd-wp', { code: 'U' }, a, fixedNow);
    a.setItem('collapse-lab:v1:softleaf:corrupt:x', 'junk');
    const out = exportableExercises(a);
    expect(out).toEqual({
      'early-abort': { code: 'A', savedAt: '2026-01-02T03:04:05.000Z', passed: true, starterHash: 'h1' },
      'uffd-wp': { code: 'U', savedAt: '2026-01-02T03:04:05.000Z' },
    });
    const b = memoryStore();
    const r = importExercises(out, b, fixedNow);
    expect(r.imported.sort()).toEqual(['early-abort', 'uffd-wp']);
    expect(r.backedUp).toEqual([]);
    expect(hasPassed('early-abort', b)).toBe(true);
    expect(exportableExercises(b)).toEqual(out);
  });

  it('keeps different local code under a backup key instead of overwriting it', () => {
    const s = memoryStore();
    updateExercise('early-abort', { code: 'mine', passed: true, passedAt: 'p' }, s, fixedNow);
    const r = importExercises({ 'early-abort': { code: 'theirs', savedAt: '2026-01-01T00:00:00.000Z' } }, s, fixedNow);
    expect(r.backedUp).toEqual([{ id: 'early-abort', key: 'collapse-lab:v1:early-abort:backup:2026-01-02T03:04:05.000Z' }]);
    expect(JSON.parse(s.getItem(r.backedUp[0]!.key)!).code).toBe('mine');
    expect(loadExercise('early-abort', s).state).toMatchObject({ code: 'theirs', passed: true });
  });
});
