/**
 * The Playground's heavy half, loaded on intent (a Run, or a link that carries a scenario): check
 * the state with the engine's own parsers, run one collapse attempt through the same renderers as
 * the chapters' <PteGrid> and <Timeline> (pictures/ptegrid.ts, pictures/timeline.ts — same engine
 * call, same markup), and turn the report into HTML: the result, the report's fields, the bugs the
 * lock checker found, the pictures, the story of the attempt (the engine's `narrate`, the very lines
 * `npm run --silent collapse` prints under "what happened, in order:"), the whole terminal report
 * (folded) and the raw trace (folded).
 *
 * Input: a PlaygroundState (./url.ts) and the problems found while reading the URL.
 * Output: `{ ok: true, result, html }`, or `{ ok: false, message }` naming the bad item — never a
 * stack trace (an unexpected engine failure is reported by its first line).
 */
import { isPte, formatPte, LayoutError, parseKnobs, parseLayout, parseWindow, type TraceEvent } from 'collapse-lab/engine';
// Not re-exported by collapse-lab/engine (tooling, not the learner's kernel API: it would only
// weigh on the exercise runner), so imported from its file; same module instances as the engine's.
import { narrate, pmdSnapshot, readableReport, type PmdSnapshot } from '../../engine/narrate.ts';
import { esc } from '../pictures/kinds.ts';
import { nextId } from '../pictures/geometry.ts';
import { pteGridFigure, renderPteGrid } from '../pictures/ptegrid.ts';
import { ScenarioError, parseSchedule, type Scenario } from '../pictures/scenario.ts';
import { renderTimeline, timelineFigure } from '../pictures/timeline.ts';
import { propsFromState, type PlaygroundState } from './url.ts';

export type PlaygroundOutput = { ok: true; result: string; html: string } | { ok: false; message: string };

/** What was typed, as one short printable line for a message (control characters escaped, cut at 60). */
export function shown(s: string): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

/** Every problem with the state, one sentence each naming the item (empty when it can run). */
export function checkState(s: PlaygroundState): string[] {
  const problems: string[] = [];
  s.layouts.forEach((l, i) => {
    const which = s.layouts.length > 1 ? `layout of PMD ${i}` : 'layout';
    try {
      parseLayout(l);
    } catch (e) {
      problems.push(`${which} ("${shown(l)}"): ${(e as Error).message}.`);
    }
  });
  try {
    parseKnobs(s.knobs.filter((k) => k.trim()));
  } catch (e) {
    const m = (e as Error).message;
    problems.push(`${/^knob/.test(m) ? '' : 'knob: '}${m}.`);
  }
  if (s.window.trim()) {
    try {
      parseWindow(s.window);
    } catch (e) {
      problems.push(`window ("${shown(s.window)}"): ${(e as Error).message}.`);
    }
  }
  try {
    parseSchedule(s.schedule);
  } catch (e) {
    problems.push(`${(e as Error).message}.`);
  }
  if (s.focus.trim() && (!/^\d+$/.test(s.focus.trim()) || Number(s.focus) > 511)) problems.push(`focus must be a slot from 0 to 511; got "${shown(s.focus)}".`);
  return problems.map((p) => p.replace(/\.\.$/, '.'));
}

/** A trace argument as text: PTEs through formatPte, bigints in hex, objects as JSON. */
function argText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (isPte(v)) return formatPte(v);
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

function traceHtml(trace: readonly TraceEvent[]): string {
  const rows = trace.map((e) => {
    const args = Object.entries(e.args).map(([k, v]) => `${k}=${argText(v)}`).join(' ');
    return `<li value="${e.seq}"><code>${esc(e.name)}</code> <span class="cl-pg-thread">[${esc(e.thread)}]</span> ${esc(args)}${e.locks.length ? ` <span class="cl-pg-locks">{holds: ${esc(e.locks.join(', '))}}</span>` : ''}</li>`;
  });
  return `<details class="cl-pg-trace"><summary>The trace: ${trace.length} events (tracepoints, locks, actors), in order</summary><ol start="0">${rows.join('')}</ol></details>`;
}

/** What each PMD of a scenario mapped before its attempt (a `no-table` PMD had no table: pmd_none). */
function snapshotsBefore(sc: Scenario): PmdSnapshot[] {
  return sc.pmds.map((p) => (p.kinds[0] === 'no-table' ? { huge: false, none: true, ptes: null } : { huge: false, none: false, ptes: [...p.ptes] }));
}

/**
 * The readable report of a scenario that was run, as `npm run --silent collapse` (without --json)
 * prints it for the same state: the engine's `readableReport`, fed what the CLI feeds it.
 * `story` is its "what happened, in order:" part (the engine's `narrate` of the trace).
 * `terminal` is false when the state has a schedule (no CLI flag: the terminal cannot run it).
 */
export function playgroundReport(s: PlaygroundState, sc: Scenario): { story: string[]; text: string; terminal: boolean } {
  const text = readableReport({
    kernel: sc.kernel,
    madvise: sc.madvise,
    uffd: s.uffd || null,
    allocFail: s.allocFail,
    layouts: s.layouts.map((l) => parseLayout(l)),
    knobs: { ...sc.world.knobs },
    window: s.window.trim() ? parseWindow(s.window) : [],
    report: sc.report,
    before: snapshotsBefore(sc),
    after: sc.world.mm.pmds.map((_, i) => pmdSnapshot(sc.world, i)),
  });
  return { story: narrate(sc.report.trace), text, terminal: !s.schedule.trim() };
}

function storyHtml(s: PlaygroundState, sc: Scenario): string {
  const { story, text, terminal } = playgroundReport(s, sc);
  return (
    `<h3>What happened, in order</h3>` +
    `<p class="cl-pg-story-note">The trace retold, as <code>npm run --silent collapse</code> prints it: page-table map and lock events are counted, not listed; a run of ordinary swap-ins is one line; each line names its thread and the locks it held.</p>` +
    `<pre class="cl-pg-story" data-cl-pg-story>${esc(story.join('\n'))}</pre>` +
    (terminal
      ? `<details class="cl-pg-report"><summary>The whole report, as the terminal prints it</summary><pre data-cl-pg-report tabindex="0">${esc(text)}</pre></details>`
      : `<p class="cl-pg-story-note">The schedule has no command-line flag, so the terminal cannot run this attempt; the story above is the one drawn here.</p>`)
  );
}

/** Run the attempt the state describes and draw it. */
export function renderPlayground(s: PlaygroundState, urlProblems: readonly string[] = []): PlaygroundOutput {
  const problems = [...urlProblems, ...checkState(s)];
  if (problems.length) return { ok: false, message: problems.join(' ') };
  const props = propsFromState(s);
  try {
    const gid = nextId('pgg');
    const tid = nextId('pgt');
    const g = renderPteGrid(props, { id: gid, tag: 'Playground' });
    const t = renderTimeline(props, { id: tid });
    const r = g.scenario.report;
    const fields: [string, string][] = [
      ['scan phase', r.scan_result],
      ['collapsed', r.collapsed ? 'yes' : 'no'],
      ['huge page allocated', r.allocated ? 'yes' : 'no'],
      ['swapped in', String(r.swapped_in)],
      ['mmap lock held by the caller afterwards', r.mmap_locked ? 'yes' : 'no'],
    ];
    if (s.madvise) fields.push(['madvise() returns', r.errno === 0 || r.errno === undefined ? '0' : `-${r.errno}`]);
    if (r.hung) fields.push(['deadlock', 'the collapsing thread would have hung; stopped there']);
    if (r.collapsed) fields.push(['contents', r.contents_ok ? 'every page kept its data' : 'WRONG: the huge page does not hold the original data']);
    const counters = Object.entries(r.counters).filter(([, v]) => v !== 0);
    const bugs = r.bugs.length
      ? `<ul class="cl-pg-bugs">${r.bugs.map((b) => `<li><strong>${esc(b.kind)}</strong>: ${esc(b.message)}${b.path.length ? ` <span class="cl-pg-path">(in ${esc(b.path.join(' → '))})</span>` : ''}</li>`).join('')}</ul>`
      : '<p>None: every lock was taken and released as its contract says.</p>';
    const html =
      `<div class="cl-pg-summary">` +
      `<p class="cl-pg-result">Result: <output data-testid="playground-result" data-result="${esc(r.result)}">${esc(r.result)}</output></p>` +
      `<p>${esc(g.outcome)}</p>` +
      `<dl class="cl-pg-fields">${fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>` +
      `<h3>Bugs the lock checker found (${r.bugs.length})</h3>${bugs}` +
      `<p class="cl-pg-counters">Counters: ${counters.length ? counters.map(([k, v]) => `<code>${esc(k)}=${v}</code>`).join(' ') : 'all zero'}</p>` +
      `</div>` +
      `<h3>The PMD${g.pmds.length > 1 ? 's' : ''}</h3>` +
      pteGridFigure(g, props, { playground: false }) +
      `<h3>Step by step</h3>` +
      timelineFigure(t, props, tid, { playground: false }) +
      storyHtml(s, g.scenario) +
      traceHtml(r.trace);
    return { ok: true, result: r.result, html };
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof LayoutError || e instanceof RangeError) return { ok: false, message: `${e.message}.`.replace(/\.\.$/, '.') };
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { ok: false, message: `The engine could not run this scenario: ${first}` };
  }
}
