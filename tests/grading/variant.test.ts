/**
 * Seeded variants (issue 15): the derivation is pure and the same in Node and Chromium; without a
 * seed the exercise is unchanged; two seeds give different race-schedule variants and a schedule
 * solved for one fails the other, through the real grader.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { makeWorld, parseLayout, runCollapse } from '../../src/engine/index.ts';
import { loadExercise } from '../../src/grading/node/exercises.ts';
import { terminateAllWorkers } from '../../src/grading/node/grade.ts';
import { exerciseForSeed, gradeSeeded as gradeSeededNow } from '../../src/grading/class/seeded.ts';
import { bindVariant, bindVariantForSearch, deriveVariant, describeVariant, hashSeed, normalizeSeed, readBoundVariant, VARIANT_BEGIN, VARIANT_END, VariantError, type RaceScheduleVariant } from '../../src/grading/variant.ts';
import { ROOT } from './helpers.ts';
import { lanes } from './lanes.ts';

// Grades are independent (each its own sandboxed child): the grading tests are concurrent and the
// grades take two lanes, one per core.
const lane = lanes();
const gradeSeeded = (...a: Parameters<typeof gradeSeededNow>) => lane(() => gradeSeededNow(...a));

const race = (seed?: string) => deriveVariant('race-schedule', seed) as RaceScheduleVariant;
/** A schedule that solves a variant: its actor on its slot while the mmap lock is dropped. */
const solve = (v: RaceScheduleVariant) => `import type { Schedule } from 'collapse-lab/engine';\nexport const schedule: Schedule = [{ at: 'alloc', actor: '${v.actor}', slot: ${v.slot} }];\n`;
const SEEDS = Array.from({ length: 400 }, (_, i) => `s${1000000 + i * 7919}`);

afterAll(() => terminateAllWorkers());

describe('deriving a variant', () => {
  it('the same seed gives the same variant; case and surrounding spaces do not matter', () => {
    expect(race('S1234567'), 'a student id typed in capitals or with spaces is the same student').toEqual(race('  s1234567 '));
    expect(JSON.stringify(race('alice')), 'two derivations of one seed must be identical').toBe(JSON.stringify(race('alice')));
  });

  it('without a seed the exercise is unchanged: the test file declares exactly the default variant', () => {
    const source = readFileSync(join(ROOT, 'exercises/race-schedule/race-schedule.test.ts'), 'utf8');
    expect(readBoundVariant(source), 'the literal between the variant markers must be deriveVariant(race-schedule) with no seed').toEqual(race());
    expect(race().layout, 'the unseeded range is the one the starter and chapter 6 describe').toBe('page*448,swap*64');
    expect(race().slot, 'the unseeded exercise accepts any slot').toBeNull();
    const { exercise } = exerciseForSeed(loadExercise('race-schedule'), undefined);
    expect(exercise.tests.map((t) => t.source), 'grading without a seed must run the test file byte for byte').toEqual([source]);
  });

  it('an exercise without variants has none, for any seed', () => {
    expect(deriveVariant('early-abort', 'alice')).toBeNull();
    expect(deriveVariant('early-abort')).toBeNull();
  });

  it('every seed gives a playable variant: 512 PTEs with 64 swap entries, its slot present there and in each extra layout, a real actor', () => {
    const actors = new Set(['migration_start', 'memory_failure', 'device_exclusive', 'madv_guard_install']);
    for (const seed of SEEDS.slice(0, 100)) {
      const v = race(seed);
      const kinds = (layout: string): string[] => parseLayout(layout).map(String);
      const slots = kinds(v.layout);
      expect(slots.length, `${seed}: ${v.layout} must hold 512 PTEs`).toBe(512);
      expect(slots.filter((k) => k === 'swap').length, `${seed}: 64 swap entries`).toBe(64);
      expect(slots[v.slot as number], `${seed}: slot ${v.slot} must be a present page in ${v.layout}`).toBe('page');
      expect(actors.has(v.actor as string), `${seed}: actor ${v.actor}`).toBe(true);
      for (const x of v.extraLayouts) expect(kinds(x)[v.slot as number], `${seed}: slot ${v.slot} must be present in extra layout ${x}`).toBe('page');
    }
  });

  it('seeds spread over the variant space (every swap position and every actor occurs; slots differ)', () => {
    const vs = SEEDS.map((s) => race(s));
    expect(new Set(vs.map((v) => v.swapStart)).size, 'swap positions used by 400 seeds').toBe(8);
    expect(new Set(vs.map((v) => v.actor)).size, 'actors used by 400 seeds').toBe(4);
    expect(new Set(vs.map((v) => v.slot)).size, 'distinct slots over 400 seeds').toBeGreaterThan(250);
  });

  it('the solving schedule really races on its variant in the engine, on the layout and on every extra layout', () => {
    for (const seed of SEEDS.slice(0, 12)) {
      const v = race(seed);
      for (const layout of [v.layout, ...v.extraLayouts]) {
        const r = runCollapse(makeWorld({ layout, kernel: 'before', schedule: [{ at: 'alloc', actor: v.actor as never, slot: v.slot as number }] }), { madvise: false });
        expect(r.do_swap_page_calls.filter((c) => c.non_swap).map((c) => c.slot), `${seed} on ${layout}: ${describeVariant(v)}`).toEqual([v.slot]);
      }
    }
  });

  it('refuses unusable seeds with a clear message', () => {
    for (const bad of ['', '   ', 'a\nb', 'x'.repeat(201), 'tab\there']) {
      expect(() => deriveVariant('race-schedule', bad), JSON.stringify(bad)).toThrow(VariantError);
    }
    expect(() => normalizeSeed(''), 'says what to give').toThrow(/student id/);
  });

  it('the hash is the documented FNV-1a + fmix32 (fixed points, so a change of derivation is noticed)', () => {
    // Computed once from the definition; any change to the derivation changes every student's variant.
    // Expected values computed independently (Python) from FNV-1a 32 over UTF-8, then fmix32.
    expect(hashSeed(''), 'empty string').toBe(0xab3e7c0b);
    expect(hashSeed('alice'), 'ascii').toBe(0xea14d61e);
    expect(hashSeed('Zoë'), 'non-ASCII is hashed as UTF-8 bytes').toBe(0x4d00612b);
    expect(race('alice')).toMatchObject({ layout: 'page*128,swap*64,page*320', slot: 230, actor: 'migration_start' });
    expect(race('bob')).toMatchObject({ layout: 'page*256,swap*64,page*192', slot: 170, actor: 'device_exclusive' });
  });
});

describe('binding a variant into a test source', () => {
  const v = race('alice');
  it('replaces exactly the literal between the markers and leaves a file without markers unchanged', () => {
    const src = `const X = 1;\nconst VARIANT = ${VARIANT_BEGIN} {"a":1} ${VARIANT_END};\n`;
    const bound = bindVariant(src, v);
    expect(readBoundVariant(bound)).toEqual(v);
    expect(bound.startsWith('const X = 1;\nconst VARIANT = ')).toBe(true);
    expect(bindVariant('const y = 2;', v)).toBe('const y = 2;');
  });
  it('refuses broken markers instead of silently grading the default', () => {
    expect(() => bindVariant(`${VARIANT_BEGIN} {}`, v)).toThrow(VariantError);
    expect(() => bindVariant(`${VARIANT_END} {} ${VARIANT_BEGIN}`, v)).toThrow(VariantError);
    expect(() => bindVariant(`${VARIANT_BEGIN} {} ${VARIANT_END} ${VARIANT_BEGIN} {} ${VARIANT_END}`, v)).toThrow(VariantError);
  });
});

describe.concurrent('grading against a variant (the real grader)', () => {
  const exercise = loadExercise('race-schedule');
  const a = race('alice');
  const b = race('bob');

  it('two seeds give different race-schedule variants', () => {
    expect({ slot: a.slot, actor: a.actor, layout: a.layout }, 'alice and bob must not share a variant').not.toEqual({ slot: b.slot, actor: b.actor, layout: b.layout });
  });

  it("a schedule solved for one seed passes that seed's variant and fails the other's", async () => {
    const forA = solve(a);
    const [ra, rb, rBack] = await Promise.all([gradeSeeded(exercise, forA, 'alice'), gradeSeeded(exercise, forA, 'bob'), gradeSeeded(exercise, solve(b), 'alice')]);
    expect(ra.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.message}`), "alice's schedule on alice's variant").toEqual([]);
    expect(ra.tests.some((t) => t.name.startsWith('your variant')), 'the seeded run includes the variant tests').toBe(true);
    expect(rb.passed, "alice's schedule must not pass bob's variant").toBeLessThan(rb.total);
    expect(rb.tests.filter((t) => t.status !== 'passed').map((t) => t.name), 'it fails on the variant tests').toContain('your variant > the race hits the slot of your variant: the unpatched swap-in hands do_swap_page() a non-swap entry there, and nowhere else');
    expect(rBack.passed, "bob's schedule must not pass alice's variant either").toBeLessThan(rBack.total);
  });

  it('without a seed, a variant solution is still a correct answer to the exercise as written', async () => {
    const r = await gradeSeeded(exercise, solve(a), undefined);
    expect(r.passed, r.tests.map((t) => `${t.status} ${t.name}`).join('\n')).toBe(r.total);
    expect(r.tests.some((t) => t.name.startsWith('your variant')), 'no variant tests without a seed').toBe(false);
  });

  it('hostile: a shotgun schedule (one actor on every present slot) does not pass any variant', async () => {
    await Promise.all(
      ['alice', 'bob'].map(async (seed) => {
        const v = race(seed);
        const slots = Array.from({ length: 512 }, (_, i) => i).filter((i) => i < v.swapStart || i >= v.swapStart + 64);
        const code = `export const schedule = ${JSON.stringify(slots.map((slot) => ({ at: 'alloc', actor: v.actor, slot })))};\n`;
        const r = await gradeSeeded(exercise, code, seed);
        expect(r.passed, `${seed}: acting on all ${slots.length} present slots with the right actor must not pass the variant`).toBeLessThan(r.total);
      }),
    );
  });

  it("an instructor's hidden test gets the same variant bound, and can replay the schedule on the variant's extra layouts", async () => {
    // What an instructor would put in --extra-tests: the markers with any default, then tests.
    const hidden = [
      "import { describe, it, expect } from 'vitest';",
      "import { schedule } from './solution';",
      "import { makeWorld, runCollapse } from 'collapse-lab/engine';",
      `const V: { slot: number | null; extraLayouts: string[] } = ${VARIANT_BEGIN} {"slot":null,"extraLayouts":[]} ${VARIANT_END};`,
      "describe('hidden', () => {",
      "  it('is graded on a variant', () => { expect(V.slot, 'no variant was bound').not.toBeNull(); });",
      '  for (const layout of V.extraLayouts) {',
      "    it(`the race also works on ${layout}`, () => {",
      "      const r = runCollapse(makeWorld({ layout, kernel: 'before', schedule: schedule.map((s) => ({ ...s })) }), { madvise: false });",
      "      expect(r.do_swap_page_calls.filter((c) => c.non_swap).map((c) => c.slot)).toEqual([V.slot]);",
      '    });',
      '  }',
      '});',
    ].join('\n');
    const extraTests = [{ file: 'hidden.test.ts', source: hidden, prefixNames: true }];
    const [own, other] = await Promise.all([gradeSeeded(exercise, solve(a), 'alice', { extraTests }), gradeSeeded(exercise, solve(b), 'alice', { extraTests })]);
    const extra = own.tests.filter((t) => t.name.startsWith('hidden.test.ts'));
    expect(extra.length, 'one hidden test per extra layout, plus the check').toBe(a.extraLayouts.length + 1);
    expect(own.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.message}`), "alice's schedule passes alice's hidden tests").toEqual([]);
    expect(other.tests.filter((t) => t.name.startsWith('hidden.test.ts') && t.status !== 'passed').length, "bob's schedule fails alice's hidden layouts").toBeGreaterThan(0);
  });

  it('the reference solution (slot 10, migration) fails a seeded variant that asks for another slot', async () => {
    const seed = SEEDS.find((s) => race(s).slot !== 10) as string;
    const r = await gradeSeeded(exercise, readFileSync(join(exercise.dir, 'solution.ts'), 'utf8'), seed);
    expect(r.passed, `${seed}: ${describeVariant(race(seed))}`).toBeLessThan(r.total);
  });
});

describe('the same seed gives the same variant in the browser', () => {
  it('derivation bundled for the browser and run in Chromium matches Node for many seeds', async () => {
    const bundle = await build({
      // The derivation and the page banner, exactly as the site bundles them.
      stdin: {
        contents: "export * from './src/grading/variant.ts';\nexport { mountVariantBanner } from './src/components/exercise/variant-banner.ts';\n",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      globalName: 'collapseLabVariant',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0].text;
    expect(code, 'the browser bundle must not pull in Node modules').not.toMatch(/require\(["']node:/);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><title>variant</title>');
      await page.addScriptTag({ content: code });
      const seeds = [...SEEDS.slice(0, 50), 'Alice', ' s1234567 ', 'Zoë', '学生-42', '🙂'];
      const inBrowser = await page.evaluate((list) => {
        const m = (globalThis as unknown as { collapseLabVariant: { deriveVariant: (id: string, s?: string) => unknown } }).collapseLabVariant;
        return { seeded: list.map((s) => m.deriveVariant('race-schedule', s)), unseeded: m.deriveVariant('race-schedule') };
      }, seeds);
      expect(inBrowser.seeded, 'Chromium and Node must derive identical variants').toEqual(seeds.map((s) => race(s)));
      expect(inBrowser.unseeded).toEqual(race());
      // The banner on a page opened with ?seed=…; a seed that looks like markup stays text.
      await page.setContent('<!doctype html><title>x</title><section class="cl-exercise" data-exercise="race-schedule"><header><h3>Write the race</h3></header><p>body</p></section>');
      await page.addScriptTag({ content: code });
      const banner = await page.evaluate(() => {
        const m = (globalThis as unknown as { collapseLabVariant: { mountVariantBanner: (root: HTMLElement, search: string) => HTMLElement | null } }).collapseLabVariant;
        const root = document.querySelector('section') as HTMLElement;
        const a = m.mountVariantBanner(root, '?seed=alice');
        const first = { text: a?.textContent ?? null, afterHeader: a?.previousElementSibling?.tagName ?? null };
        m.mountVariantBanner(root, `?seed=${encodeURIComponent('<img src=x onerror="document.title=1">')}`);
        return { first, count: root.querySelectorAll('.cl-variant').length, imgs: root.querySelectorAll('img').length, title: document.title };
      });
      expect(banner.first.text, 'the page shows the variant Node derives').toContain(describeVariant(race('alice')));
      expect(banner.first.afterHeader, 'right under the exercise header').toBe('HEADER');
      expect(banner.count, 'one banner, replaced, not stacked').toBe(1);
      expect(banner.imgs, 'a seed is shown as text, never parsed as HTML').toBe(0);
      expect(banner.title).toBe('x');
    } finally {
      await browser.close();
    }
  });
});

describe('the page banner (?seed=…)', () => {
  it('says "your variant: …" for a seeded page, nothing without a seed or for an exercise without variants, and refuses a bad seed in words', async () => {
    const { variantBannerText } = await import('../../src/components/exercise/variant-banner.ts');
    const said = variantBannerText('race-schedule', '?seed=Alice');
    expect(said?.kind).toBe('variant');
    expect(said?.text, 'the banner describes the same variant as Node').toContain(describeVariant(race('alice')));
    expect(variantBannerText('race-schedule', ''), 'no seed, no banner').toBeNull();
    expect(variantBannerText('early-abort', '?seed=alice'), 'no variants, no banner').toBeNull();
    const bad = variantBannerText('race-schedule', '?seed=%20%20');
    expect(bad?.kind).toBe('error');
    expect(bad?.text).toMatch(/exercise as written/);
    const source = readFileSync(join(ROOT, 'exercises/race-schedule/race-schedule.test.ts'), 'utf8');
    expect(readBoundVariant(bindVariantForSearch('race-schedule', source, '?seed=alice')), 'the page grades the variant it shows').toEqual(race('alice'));
    expect(bindVariantForSearch('race-schedule', source, ''), 'without a seed the page grades the exercise as written').toBe(source);
    expect(bindVariantForSearch('race-schedule', source, '?seed=%0A'), 'an unusable seed grades the exercise as written').toBe(source);
  });
});
