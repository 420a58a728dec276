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
  saveCode,
  listKept,
  restoreKept,
  backupKey,
  BACKUP_RING_SIZE,
  IMPORT_RESERVE_CHARS,
  type KeyValueStore,
  type SavedExercise,
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
    // the pass travelled as a claim: shown as imported, not counted or re-exported as a pass
    expect(hasPassed('early-abort', b)).toBe(false);
    expect(loadExercise('early-abort', b).state).toMatchObject({ passed: true, passedImported: true });
    const { passed: _claim, ...withoutPass } = out['early-abort']!;
    expect(exportableExercises(b)).toEqual({ ...out, 'early-abort': withoutPass });
  });

  it('keeps different local code in the backup ring instead of overwriting it', () => {
    const s = memoryStore();
    updateExercise('early-abort', { code: 'mine', passed: true, passedAt: 'p' }, s, fixedNow);
    const r = importExercises({ 'early-abort': { code: 'theirs', savedAt: '2026-01-01T00:00:00.000Z' } }, s, fixedNow);
    expect(r.backedUp).toEqual([{ id: 'early-abort', key: backupKey('early-abort') }]);
    expect(listKept(s).map((k) => k.kind === 'backup' && [k.id, k.entry.code, k.entry.reason])).toEqual([['early-abort', 'mine', 'import']]);
    // a pass in this browser stays a pass (with different code: "has passed" is per exercise)
    expect(loadExercise('early-abort', s).state).toMatchObject({ code: 'theirs', passed: true });
    expect(hasPassed('early-abort', s)).toBe(true);
  });

  it('an imported "passed" is not a pass here until the tests pass in this browser, and is not exported as one', () => {
    const s = memoryStore();
    const r = importExercises({ 'uffd-wp': { code: 'X', savedAt: '2026-01-01T00:00:00.000Z', passed: true } }, s, fixedNow);
    expect(r.imported).toEqual(['uffd-wp']);
    expect(loadExercise('uffd-wp', s).state).toMatchObject({ passed: true, passedImported: true });
    expect(hasPassed('uffd-wp', s)).toBe(false);
    expect(exportableExercises(s)['uffd-wp']).toEqual({ code: 'X', savedAt: '2026-01-01T00:00:00.000Z' });
    // editing keeps the claim as a claim
    const base = loadExercise('uffd-wp', s).state;
    const e = saveCode('uffd-wp', { code: 'X2' }, base, s, fixedNow);
    expect(e.ok && e.state).toMatchObject({ passed: true, passedImported: true });
    // a pass here makes it real
    const p = saveCode('uffd-wp', { code: 'X2', passed: true }, e.ok ? e.state : null, s, fixedNow);
    expect(p.ok && p.state.passedImported).toBeUndefined();
    expect(hasPassed('uffd-wp', s)).toBe(true);
  });

  it('ignores exercise ids the course does not have and says which', () => {
    const s = memoryStore();
    const flood = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`made-up-${i}`, { code: 'x'.repeat(100), savedAt: '2026-01-01T00:00:00.000Z' }]));
    const r = importExercises({ ...flood, 'early-abort': { code: 'E', savedAt: '2026-01-01T00:00:00.000Z' } }, s, fixedNow, { known: ['early-abort', 'uffd-wp'] });
    expect(r.imported).toEqual(['early-abort']);
    expect(r.unknown).toHaveLength(2000);
    expect(r.unknown).toContain('made-up-1999');
    expect([...s.map.keys()]).toEqual([keyFor('early-abort')]);
  });

  it('stops an import that would leave no room for the next edit, undoing only that exercise, never evicting local code', () => {
    // room for the local code, one imported exercise and the reserve, but not two
    const big = 'y'.repeat(30_000);
    const s = memoryStore({ quota: 30_000 + IMPORT_RESERVE_CHARS + 20_000 });
    updateExercise('aa', { code: 'local work' }, s, fixedNow);
    const before = s.getItem(keyFor('aa'));
    const r = importExercises(
      {
        bb: { code: big, savedAt: '2026-01-01T00:00:00.000Z' },
        cc: { code: big, savedAt: '2026-01-01T00:00:00.000Z' },
        aa: { code: big, savedAt: '2026-01-01T00:00:00.000Z' },
      },
      s,
      fixedNow,
    );
    expect(r.imported).toEqual(['bb']);
    expect(r.skipped.map((x) => x.id)).toEqual(['cc', 'aa']);
    expect(r.problem?.kind).toBe('full');
    expect(s.getItem(keyFor('cc'))).toBeNull();
    expect(s.getItem(keyFor('aa'))).toBe(before);
    expect(s.getItem(backupKey('aa'))).toBeNull();
    // and the learner's next edit still saves
    expect(saveCode('aa', { code: 'local work, edited' }, loadExercise('aa', s).state, s, fixedNow).ok).toBe(true);
  });

  it('refuses an imported exercise whose code is absurdly long', () => {
    const s = memoryStore();
    const r = importExercises({ aa: { code: 'z'.repeat(300_000), savedAt: '2026-01-01T00:00:00.000Z' } }, s, fixedNow);
    expect(r.imported).toEqual([]);
    expect(r.skipped[0]?.why).toMatch(/characters long/);
  });
});

describe('two pages, one exercise (issue 9 item 7)', () => {
  const load = (s: KeyValueStore) => loadExercise('ex', s).state;

  it('a stale page saving keeps the newer code the other page wrote, in the backup ring', () => {
    const s = memoryStore();
    const first = saveCode('ex', { code: 'v1' }, null, s, fixedNow);
    expect(first.ok).toBe(true);
    const opened = load(s); // both pages open here
    const b = saveCode('ex', { code: 'newer from B' }, opened, s, fixedNow);
    expect(b.ok && b.kept).toBeUndefined();
    // page A never heard of B's save; its base is still `opened`
    const a = saveCode('ex', { code: 'stale edit in A' }, opened, s, fixedNow);
    expect(a.ok && a.kept?.code).toBe('newer from B');
    expect(load(s)?.code).toBe('stale edit in A');
    const kept = listKept(s);
    expect(kept.map((k) => k.kind === 'backup' && k.entry.code)).toEqual(['newer from B']);
    expect(kept[0]?.kind === 'backup' && kept[0].entry.reason).toBe('other-page');
  });

  it('no backup when nothing else was written, or the other page wrote the same code', () => {
    const s = memoryStore();
    let base: SavedExercise | null = null;
    for (const code of ['a', 'ab', 'abc']) {
      const r = saveCode('ex', { code }, base, s, fixedNow);
      expect(r.ok && r.kept).toBeUndefined();
      base = r.ok ? r.state : null;
    }
    const other = saveCode('ex', { code: 'abc', passed: true }, base, s, fixedNow); // e.g. a pass recorded by the other page
    expect(other.ok).toBe(true);
    expect(saveCode('ex', { code: 'abcd' }, base, s, fixedNow).ok).toBe(true);
    expect(listKept(s)).toEqual([]);
    expect(load(s)).toMatchObject({ code: 'abcd', passed: true, rev: 5 });
  });

  it('does not save over the other page when the backup cannot be written (storage full)', () => {
    const s = memoryStore({ quota: 200 });
    const opened = saveCode('ex', { code: 'v1' }, null, s, fixedNow);
    const base = opened.ok ? opened.state : null;
    expect(saveCode('ex', { code: 'B'.repeat(60) }, base, s, fixedNow).ok).toBe(true);
    const r = saveCode('ex', { code: 'A'.repeat(60) }, base, s, fixedNow);
    expect(r).toMatchObject({ ok: false, problem: { kind: 'conflict' } });
    expect(load(s)?.code).toBe('B'.repeat(60));
  });

  it('the ring keeps the newest BACKUP_RING_SIZE distinct copies', () => {
    const s = memoryStore();
    const opened = saveCode('ex', { code: 'start' }, null, s, fixedNow);
    const base = opened.ok ? opened.state : null;
    for (let i = 0; i < BACKUP_RING_SIZE + 3; i++) {
      saveCode('ex', { code: `other ${i}` }, null, s, fixedNow); // another page (base unknown)
      saveCode('ex', { code: `mine ${i}` }, base, s, fixedNow);
    }
    const codes = listKept(s).map((k) => (k.kind === 'backup' ? k.entry.code : k.kind));
    expect(codes).toHaveLength(BACKUP_RING_SIZE);
    expect(codes).toContain(`other ${BACKUP_RING_SIZE + 2}`);
  });

  it('restore brings a backup back and keeps what it replaces; an unreadable ring is set aside, not deleted', () => {
    const s = memoryStore();
    const opened = saveCode('ex', { code: 'v1' }, null, s, fixedNow);
    saveCode('ex', { code: 'theirs' }, opened.ok ? opened.state : null, s, fixedNow);
    saveCode('ex', { code: 'mine' }, opened.ok ? opened.state : null, s, fixedNow);
    const item = listKept(s)[0]!;
    expect(item.kind).toBe('backup');
    const r = restoreKept(item as Extract<typeof item, { kind: 'backup' }>, s, fixedNow);
    expect(r.ok).toBe(true);
    expect(load(s)?.code).toBe('theirs');
    expect(listKept(s).map((k) => k.kind === 'backup' && [k.entry.code, k.entry.reason])).toEqual([['mine', 'restore']]);

    s.setItem(backupKey('ex'), '{"entries": [{"code": 1}]}');
    expect(listKept(s).map((k) => k.kind)).toEqual(['set-aside']);
    const kept = saveCode('ex', { code: 'after' }, null, s, fixedNow);
    expect(kept.ok && kept.kept?.code).toBe('theirs');
    const keys = [...s.map.keys()];
    expect(keys.some((k) => k.startsWith(`${backupKey('ex')}:corrupt:`))).toBe(true);
  });

  it('lists legacy import backups (…:backup:<time>) and restores them', () => {
    const s = memoryStore();
    saveCode('ex', { code: 'now' }, null, s, fixedNow);
    s.setItem(`${keyFor('ex')}:backup:2025-12-01T00:00:00.000Z`, JSON.stringify({ code: 'old import backup', savedAt: '2025-11-30T00:00:00.000Z' }));
    const item = listKept(s).find((k) => k.kind === 'legacy')!;
    expect(item.kind === 'legacy' && item.entry.code).toBe('old import backup');
    expect(restoreKept(item as Extract<typeof item, { kind: 'legacy' }>, s, fixedNow).ok).toBe(true);
    expect(load(s)?.code).toBe('old import backup');
    expect(listKept(s).map((k) => k.kind === 'backup' && k.entry.code)).toEqual(['now']);
  });
});

describe('the availability probe', () => {
  it('writes once per page, and storage listeners can tell it from data', async () => {
    const { vi } = await import('vitest');
    const { browserStore, isDataKey, PROBE_KEY } = await import('./storage.ts');
    const s = memoryStore();
    const writes: string[] = [];
    const counting: KeyValueStore = { ...s, setItem: (k, v) => (writes.push(k), s.setItem(k, v)), getItem: s.getItem, removeItem: s.removeItem, key: s.key, get length() { return s.length; } };
    vi.stubGlobal('localStorage', counting);
    try {
      for (let i = 0; i < 5; i++) expect(browserStore()).toBe(counting);
      // every write is a storage event in the site's other pages; a probe per call made two open
      // pages bounce events forever
      expect(writes.filter((k) => k === PROBE_KEY)).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(isDataKey(PROBE_KEY)).toBe(false);
    expect(isDataKey('collapse-lab:v1:__reserve__')).toBe(false);
    expect(isDataKey(keyFor('early-abort'))).toBe(true);
    expect(isDataKey('collapse-lab:progress:v1')).toBe(true);
    expect(isDataKey(null)).toBe(true);
    expect(isDataKey('starlight-theme')).toBe(false);
  });
});
