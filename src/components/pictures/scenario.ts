/**
 * From MDX props to one engine run — shared by <PteGrid>, <Timeline> and the chapter-claims test,
 * so a picture and the test that guards its claim can never run different scenarios.
 *
 * Props follow the component contract in /tmp/team/brief.md (and the `collapse` CLI flags):
 * layout, kernel, madvise, uffd, window ("10=migration,5=page": PTE changes made while khugepaged
 * has dropped the mmap lock for the allocation), knobs ("max_ptes_swap=8 max_ptes_none=0"),
 * schedule (JSON string of actor steps), expect (the claimed `result` of the whole attempt).
 */
import { makeWorld, parseKnobs as parseKnobItems, parseWindow as parseWindowItems, runCollapse } from 'collapse-lab/engine';
import type { CollapseReport, MakeWorldOptions, pte_t, Schedule, World } from 'collapse-lab/engine';

export type KernelName = 'before' | 'after' | 'v3-as-posted';

/** What an MDX author may write on <PteGrid> / <Timeline>. Strings because MDX attributes are. */
export interface ScenarioProps {
  layout: string;
  kernel?: string;
  madvise?: boolean | string;
  uffd?: string;
  window?: string;
  knobs?: string;
  schedule?: string;
  expect?: string;
  caption?: string;
  focus?: number | string;
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
  /** Slots of PMD 0 that hpage_collapse_scan_pmd read, in order (observed, see recordScanReads). */
  scanReads: number[];
}

/**
 * Watch which PTEs the scan reads. The engine's trace has one event per function (like the
 * kernel's tracepoints), not one per PTE, so "where did the scan stop" is observed instead: for
 * the duration of this one build-time run the PTE table's entry array is wrapped in a Proxy that
 * notes every index read while the current call frame is `hpage_collapse_scan_pmd` (the kernel's
 * or a learner's — whatever the world runs). Nothing is changed; the values read are the same.
 */
function recordScanReads(world: World, table: { ptes: pte_t[] }): { slots: number[]; stop: () => void } {
  const slots: number[] = [];
  const original = table.ptes;
  let on = true;
  const proxy = new Proxy(original, {
    get(target, key, receiver) {
      if (on && typeof key === 'string' && /^\d+$/.test(key)) {
        const st = world.current?.stack;
        if (st && st[st.length - 1] === 'hpage_collapse_scan_pmd') slots.push(Number(key));
      }
      return Reflect.get(target, key, receiver);
    },
  });
  try {
    (table as { ptes: pte_t[] }).ptes = proxy;
  } catch {
    // A frozen table (a future engine) cannot be watched: the pictures then show no stop slot.
    return { slots, stop: () => {} };
  }
  return {
    slots,
    stop: () => {
      on = false;
      (table as { ptes: pte_t[] }).ptes = original;
    },
  };
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
  const parts = [`layout="${p.layout}"`];
  for (const k of ['kernel', 'uffd', 'window', 'knobs', 'schedule', 'expect'] as const) {
    if (p[k] !== undefined && p[k] !== '') parts.push(`${k}=${k === 'schedule' ? `'${p[k]}'` : `"${p[k]}"`}`);
  }
  if (asBool(p.madvise)) parts.push('madvise');
  return `<${tag} ${parts.join(' ')}>`;
}

function asBool(v: boolean | string | undefined): boolean {
  if (v === undefined || v === false) return false;
  if (v === true || v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw new ScenarioError(`madvise must be a boolean, got ${JSON.stringify(v)}`);
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
  if (typeof p.layout !== 'string' || !p.layout.trim()) throw new ScenarioError('layout is required');
  const kernel = (p.kernel ?? 'after') as KernelName;
  if (!KERNELS.includes(kernel)) {
    throw new ScenarioError(`kernel must be one of ${KERNELS.join(', ')}, got "${p.kernel}"`);
  }
  if (p.uffd !== undefined && p.uffd !== 'wp' && p.uffd !== 'missing') {
    throw new ScenarioError(`uffd must be "wp" or "missing", got "${p.uffd}"`);
  }
  checkWindow(p.window);
  const schedule = parseSchedule(p.schedule);
  const options: MakeWorldOptions = { layout: p.layout, kernel };
  if (p.window && p.window.trim()) options.window = p.window;
  if (p.uffd) options.uffd = p.uffd as 'wp' | 'missing';
  const knobs = parseKnobs(p.knobs);
  if (Object.keys(knobs).length) options.knobs = knobs;
  if (schedule.length) options.schedule = schedule;
  return { options, kernel, madvise: asBool(p.madvise) };
}

/** Build the world and run one collapse attempt. */
export function runScenario(p: ScenarioProps): Scenario {
  const { options, kernel, madvise } = scenarioOptions(p);
  const world = makeWorld(options);
  const pmd = world.mm.pmds[0];
  if (!pmd || pmd.entry.type !== 'table') throw new ScenarioError('the engine built no PTE table for PMD 0');
  const table = pmd.entry.table;
  const initial = { kinds: [...world.layouts[0]], ptes: [...table.ptes] };
  const reads = recordScanReads(world, table);
  const report = runCollapse(world, { madvise });
  reads.stop();
  return { props: p, kernel, madvise, options, world, report, initial, scanReads: reads.slots };
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
