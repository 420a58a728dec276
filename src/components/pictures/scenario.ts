/**
 * From MDX props to one engine run — shared by <PteGrid>, <Timeline> and the chapter-claims test,
 * so a picture and the test that guards its claim can never run different scenarios.
 *
 * Props follow the component contract in /tmp/team/brief.md (and the `collapse` CLI flags):
 * layout, kernel, madvise, uffd, window ("10=migration,5=page": PTE changes made while khugepaged
 * has dropped the mmap lock for the allocation), knobs ("max_ptes_swap=8 max_ptes_none=0"),
 * schedule (JSON string of actor steps), expect (the claimed `result` of the whole attempt).
 */
import { __pte, makeWorld, parseKnobs as parseKnobItems, parseWindow as parseWindowItems, runCollapse } from 'collapse-lab/engine';
import type { CollapseReport, MakeWorldOptions, pte_t, Schedule, World } from 'collapse-lab/engine';
import { watchScanReads } from '../../engine/observe.ts';

export type KernelName = 'before' | 'after' | 'v3-as-posted';

/** What an MDX author may write on <PteGrid> / <Timeline>. Strings because MDX attributes are. */
export interface ScenarioProps {
  /** One PMD's layout, or several (one per PMD, in address order — like repeating `--layout`). */
  layout: string | readonly string[];
  kernel?: string;
  madvise?: boolean | string;
  uffd?: string;
  window?: string;
  knobs?: string;
  schedule?: string;
  expect?: string;
  caption?: string;
  focus?: number | string;
  /** The huge-page allocation fails (`--alloc-fail`, SCAN_ALLOC_HUGE_PAGE_FAIL). */
  allocFail?: boolean | string;
}

/** One PMD of a scenario: its contents before the attempt, what the scan read, how it ended. */
export interface PmdRun {
  index: number;
  /** Kind and PTE value per slot before the attempt. */
  kinds: string[];
  ptes: pte_t[];
  /** Slots of this PMD that hpage_collapse_scan_pmd read, in order (observed, see watchScanReads in src/engine/observe.ts). */
  scanReads: number[];
  /** scan_result name of this PMD's attempt (null: never scanned, e.g. an earlier PMD stopped the pass). */
  result: string | null;
  /** scan_result of this PMD's scan phase (null: never scanned). */
  scanResult: string | null;
  /** The PMD maps a huge page after the attempt. */
  collapsed: boolean;
}

/** A scenario that was run: its inputs, the world afterwards and the engine's report. */
export interface Scenario {
  props: ScenarioProps;
  kernel: KernelName;
  madvise: boolean;
  options: MakeWorldOptions;
  world: World;
  report: CollapseReport;
  /** PMD 0 before the attempt: kind and PTE value per slot. */
  initial: { kinds: string[]; ptes: pte_t[] };
  /** Slots of PMD 0 that hpage_collapse_scan_pmd read, in order (observed, see watchScanReads in src/engine/observe.ts). */
  scanReads: number[];
  /** Every PMD, in address order (one entry for a one-PMD layout; `pmds[0]` is `initial` + `scanReads`). */
  pmds: PmdRun[];
}

/** A prop that cannot be turned into an engine scenario. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const KERNELS: readonly KernelName[] = ['before', 'after', 'v3-as-posted'];

/** A one-line description of the props, for error messages: `<PteGrid layout="…" kernel="…">`. */
export function describeProps(tag: string, p: ScenarioProps): string {
  const parts = layoutsOf(p).map((l) => `layout="${l}"`);
  for (const k of ['kernel', 'uffd', 'window', 'knobs', 'schedule', 'expect'] as const) {
    if (p[k] !== undefined && p[k] !== '') parts.push(`${k}=${k === 'schedule' ? `'${p[k]}'` : `"${p[k]}"`}`);
  }
  if (asBool(p.madvise)) parts.push('madvise');
  if (asBool(p.allocFail, 'allocFail')) parts.push('allocFail');
  return `<${tag} ${parts.join(' ')}>`;
}

/** The layout prop as a list, one string per PMD (a plain string is one PMD). */
export function layoutsOf(p: Pick<ScenarioProps, 'layout'>): string[] {
  return typeof p.layout === 'string' ? [p.layout] : Array.isArray(p.layout) ? [...(p.layout as string[])] : [];
}

function asBool(v: boolean | string | undefined, name = 'madvise'): boolean {
  if (v === undefined || v === false) return false;
  if (v === true || v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw new ScenarioError(`${name} must be a boolean, got ${JSON.stringify(v)}`);
}

/** "max_ptes_swap=8, max_ptes_none=0" (commas or spaces) → knob settings, via the engine's parser. */
export function parseKnobs(s: string | undefined): Record<string, number> {
  if (!s || !s.trim()) return {};
  try {
    return parseKnobItems(s.split(/[\s,]+/).filter(Boolean)) as Record<string, number>;
  } catch (e) {
    throw new ScenarioError(`knobs: ${(e as Error).message}`);
  }
}

/** Check the `window` notation early ("10=migration,5=page"), so the error names the prop. */
function checkWindow(s: string | undefined): void {
  if (!s || !s.trim()) return;
  try {
    parseWindowItems(s);
  } catch (e) {
    throw new ScenarioError(`window: ${(e as Error).message}`);
  }
}

/** The `schedule` prop: a JSON array of `{ at, actor, slot, kind? }`. */
export function parseSchedule(s: string | undefined): Schedule {
  if (!s || !s.trim()) return [];
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new ScenarioError(`schedule is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new ScenarioError('schedule must be a JSON array of steps');
  return v.map((step, i) => {
    if (typeof step !== 'object' || step === null) throw new ScenarioError(`schedule[${i}] is not an object`);
    const { at, actor, slot } = step as Record<string, unknown>;
    if (typeof at !== 'string' || typeof actor !== 'string' || typeof slot !== 'number') {
      throw new ScenarioError(`schedule[${i}] needs "at" (string), "actor" (string) and "slot" (number)`);
    }
    return step as Schedule[number];
  });
}

/** Turn props into engine options (throws ScenarioError naming the bad prop). */
export function scenarioOptions(p: ScenarioProps): { options: MakeWorldOptions; kernel: KernelName; madvise: boolean } {
  const layouts = layoutsOf(p);
  if (layouts.length === 0 || layouts.some((l) => typeof l !== 'string' || !l.trim())) throw new ScenarioError('layout is required (one per PMD)');
  const kernel = (p.kernel ?? 'after') as KernelName;
  if (!KERNELS.includes(kernel)) {
    throw new ScenarioError(`kernel must be one of ${KERNELS.join(', ')}, got "${p.kernel}"`);
  }
  if (p.uffd !== undefined && p.uffd !== 'wp' && p.uffd !== 'missing') {
    throw new ScenarioError(`uffd must be "wp" or "missing", got "${p.uffd}"`);
  }
  checkWindow(p.window);
  const schedule = parseSchedule(p.schedule);
  const options: MakeWorldOptions = layouts.length === 1 ? { layout: layouts[0], kernel } : { layouts, kernel };
  if (asBool(p.allocFail, 'allocFail')) options.fail_alloc = true;
  if (p.window && p.window.trim()) options.window = p.window;
  if (p.uffd) options.uffd = p.uffd as 'wp' | 'missing';
  const knobs = parseKnobs(p.knobs);
  if (Object.keys(knobs).length) options.knobs = knobs;
  if (schedule.length) options.schedule = schedule;
  return { options, kernel, madvise: asBool(p.madvise) };
}

/**
 * How each PMD ended. The engine's report carries `pmds` (one entry per PMD) when it runs several;
 * without it (an older engine, or one PMD) this reads the trace: khugepaged and MADV_COLLAPSE visit
 * the PMDs in address order, one `mm_khugepaged_scan_pmd` event each, emitted at the end of
 * hpage_collapse_scan_pmd() with that PMD's final result; an `mm_collapse_huge_page` before it means
 * the scan phase itself succeeded and went on to collapse.
 */
function pmdOutcomes(report: CollapseReport, n: number): { result: string | null; scanResult: string | null }[] {
  const given = (report as { pmds?: unknown }).pmds;
  if (Array.isArray(given) && given.length === n && n > 1) {
    return given.map((g: { result?: unknown; scan_result?: unknown }) => ({
      result: typeof g.result === 'string' ? g.result : null,
      scanResult: typeof g.scan_result === 'string' ? g.scan_result : typeof g.result === 'string' ? g.result : null,
    }));
  }
  if (n === 1) return [{ result: report.result, scanResult: report.scan_result }];
  const out: { result: string | null; scanResult: string | null }[] = Array.from({ length: n }, () => ({ result: null, scanResult: null }));
  let k = 0;
  let collapseSeen = false;
  for (const e of report.trace) {
    if (k >= n) break;
    // collapse_huge_page() runs inside hpage_collapse_scan_pmd(), before its tracepoint
    if (e.name === 'mm_collapse_huge_page') collapseSeen = true;
    else if (e.name === 'mm_khugepaged_scan_pmd') {
      const r = String(e.args.result);
      out[k++] = { result: r, scanResult: collapseSeen ? 'SCAN_SUCCEED' : r };
      collapseSeen = false;
    }
  }
  return out;
}

/** Build the world and run one collapse attempt. */
export function runScenario(p: ScenarioProps): Scenario {
  const { options, kernel, madvise } = scenarioOptions(p);
  const world = makeWorld(options);
  // A `no-table` PMD has no PTE table (pmd_none): nothing to watch; drawn as empty (pte_none values).
  const tables = world.mm.pmds.map((pmd) => (pmd.entry.type === 'table' ? pmd.entry.table : null));
  const before = tables.map((t, i) => ({ kinds: [...world.layouts[i]], ptes: t ? [...t.ptes] : new Array<pte_t>(512).fill(__pte(0n)) }));
  const reads = watchScanReads(world);
  let report: CollapseReport;
  try {
    report = runCollapse(world, { madvise });
  } finally {
    for (const r of reads) r.stop();
  }
  const outcomes = pmdOutcomes(report, tables.length);
  const pmds: PmdRun[] = before.map((b, i) => ({
    index: i,
    ...b,
    scanReads: reads[i].slots,
    ...outcomes[i],
    collapsed: world.mm.pmds[i]?.entry.type === 'huge',
  }));
  return { props: p, kernel, madvise, options, world, report, initial: before[0], scanReads: reads[0].slots, pmds };
}

/**
 * The claim check: `null` when there is no claim or the engine agrees, otherwise a sentence that
 * names the claim and the engine's answer.
 */
export function claimMismatch(tag: string, s: Scenario): string | null {
  const claimed = s.props.expect?.trim();
  if (!claimed) return null;
  const r = s.report;
  if (claimed === r.result) return null;
  const extra: string[] = [];
  if (r.scan_result !== r.result) extra.push(`the scan itself returned ${r.scan_result}`);
  if (r.bugs.length) extra.push(`bugs: ${r.bugs.map((b) => b.kind).join(', ')}`);
  if (r.errno !== undefined) extra.push(`errno ${r.errno}`);
  return (
    `${describeProps(tag, s.props)}: the text claims ${claimed}, but the engine's result is ${r.result}` +
    (extra.length ? ` (${extra.join('; ')})` : '') +
    '. Fix the claim (the `expect` prop and the prose around it) or the scenario.'
  );
}
