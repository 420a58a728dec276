/**
 * How results are arranged for reading (src/components/exercise/failure-groups.ts): grouped by
 * describe block, alike failures folded — on the real messages of the early-abort starter (graded
 * in Node), and on made-up messages of other shapes so no one message format is assumed.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { countFailures, groupResults, messageShape, splitName } from '../../src/components/exercise/failure-groups.ts';
import type { TestResult } from '../../src/grading/types.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const t = (name: string, status: TestResult['status'], message = ''): TestResult => ({ name, status, message });

describe('failure groups', () => {
  it('splits names at the last " > "', () => {
    expect(splitName('a > b > the case')).toEqual({ group: 'a > b', title: 'the case' });
    expect(splitName('top-level test')).toEqual({ group: '', title: 'top-level test' });
  });

  it('blanks what varies from case to case, keeps the words', () => {
    const a = messageShape('layout "page*5,guard,page*506": stop at slot 5 (guard), got SCAN_SUCCEED');
    const b = messageShape('layout "hwpoison,page*511": stop at slot 0 (guard), got SCAN_SUCCEED');
    expect([...a]).toEqual([...b]);
    expect(a.has('scan_succeed')).toBe(true);
  });

  it('groups in order of first appearance, folds alike failures and keeps different ones apart', () => {
    const tests = [
      t('scan > slot 0', 'failed', 'expected SCAN_PTE_NON_PRESENT at slot 0, got SCAN_SUCCEED: the loop ran to its end'),
      t('scan > slot 5', 'failed', 'expected SCAN_PTE_NON_PRESENT at slot 5, got SCAN_SUCCEED: the loop ran to its end'),
      t('scan > a pass', 'passed'),
      t('locks > mmap lock', 'failed', 'the mmap lock is still held when the function returns (taken in collapse_huge_page)'),
      t('scan > slot 511', 'failed', 'expected SCAN_PTE_NON_PRESENT at slot 511, got SCAN_SUCCEED: the loop ran to its end'),
      t('scan > uffd', 'failed', 'your scan returned SCAN_PTE_UFFD_WP for a marker; markers are non-swap entries and stop first'),
      t('scan > slow', 'timeout', 'expected SCAN_PTE_NON_PRESENT at slot 7, got SCAN_SUCCEED: the loop ran to its end'),
    ];
    const g = groupResults(tests);
    expect(g.map((x) => [x.name, x.total, x.passed.length])).toEqual([['scan', 6, 1], ['locks', 1, 0]]);
    const scan = g[0]!;
    expect(scan.folds.map((f) => [f.first.name, f.alike.map((a) => a.name)])).toEqual([
      ['scan > slot 0', ['scan > slot 5', 'scan > slot 511']],
      ['scan > uffd', []],
      ['scan > slow', []], // same words, different status: not "the same way"
    ]);
    expect(countFailures(g)).toBe(6);
  });

  it('on the early-abort starter: every failure is counted once, and the layouts that fail alike fold', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'src/cli/grade.ts'), 'early-abort', path.join(ROOT, 'exercises/early-abort/starter.ts'), '--format', 'json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const run = JSON.parse(r.stdout) as { failed: number; tests: TestResult[] };
    const groups = groupResults(run.tests);
    expect(countFailures(groups)).toBe(run.failed);
    expect(groups.reduce((n, g) => n + g.total, 0)).toBe(run.tests.length);
    const shownInFull = groups.reduce((n, g) => n + g.folds.length, 0);
    expect(shownInFull).toBeLessThan(run.failed / 2);
    // each fold's members share its first test's describe block and status
    for (const g of groups) for (const f of g.folds) for (const a of f.alike) {
      expect(splitName(a.name).group).toBe(g.name);
      expect(a.status).toBe(f.first.status);
    }
  });
});
