/**
 * Learner code sees the engine without its reference kernels, so a file cannot pass by handing
 * the engine's own implementation back to the grader.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReferenceKernelExport } from '../../src/grading/runtime/session.ts';
import { grade } from './helpers.ts';

const CHEATS: Record<string, string> = {
  're-exporting the dispatcher': "export { hpage_collapse_scan_pmd } from 'collapse-lab/engine';\n",
  'taking the kernel from KERNELS':
    "import { KERNELS } from 'collapse-lab/engine';\nexport const hpage_collapse_scan_pmd = (...a: any[]) => (KERNELS as any).after.hpage_collapse_scan_pmd(...a);\n",
  're-exporting the reference scan':
    "import { hpage_collapse_scan_pmd_after } from 'collapse-lab/engine';\nexport const hpage_collapse_scan_pmd = hpage_collapse_scan_pmd_after;\n",
  'building a world to borrow its ops':
    "import { makeWorld } from 'collapse-lab/engine';\nexport const hpage_collapse_scan_pmd = (...a: any[]) => (makeWorld as any)({ layout: 'page*512' }).ops.hpage_collapse_scan_pmd(...a);\n",
};

describe('learner code cannot borrow the reference kernel', { timeout: 120_000 }, () => {
  it('hides the reference kernels, the dispatchers and the world builders', () => {
    for (const name of ['hpage_collapse_scan_pmd_after', '__collapse_huge_page_swapin_before', '__collapse_huge_page_swapin_v3_as_posted', 'KERNELS', 'makeWorld', 'runCollapse', 'simulate', 'hpage_collapse_scan_pmd']) {
      expect(isReferenceKernelExport(name), name).toBe(true);
    }
    for (const name of ['pte_present', 'non_swap_entry', 'collapse_huge_page', 'mmap_read_unlock', 'pte_unmap']) {
      expect(isReferenceKernelExport(name), name).toBe(false);
    }
  });

  for (const [what, code] of Object.entries(CHEATS)) {
    it(`${what} does not pass early-abort`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'cheat-')), 'early-abort.ts');
      writeFileSync(file, code);
      const r = await grade(['early-abort', file, '--format', 'json'], { exercises: null });
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.code, r.stdout + r.stderr).not.toBe(-1);
      const j = JSON.parse(r.stdout) as { passed: number; total: number };
      expect(j.total, r.stdout).toBeGreaterThan(0);
      expect(j.passed, `${what}: ${j.passed}/${j.total} passed`).toBe(0);
    });
  }
});
