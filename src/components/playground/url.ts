/**
 * The Playground's state and its three spellings — a URL query, a `collapse` command line, and the
 * props of a <PteGrid>/<Timeline> — so a link, a picture and a terminal run the same attempt.
 *
 * Query parameters are the `collapse` CLI flag names (architecture doc, "`npm run --silent
 * collapse` (contract)"): `layout` (repeated: one per PMD, in address order), `kernel`, `madvise`,
 * `knob` (repeated, NAME=VALUE), `uffd`, `window`, `alloc-fail`. Two more are for pictures only and
 * have no CLI flag: `schedule` (JSON actor steps, as on <Timeline schedule>) and `focus` (a slot to
 * mark). Example: `?layout=page*511,guard&kernel=after&madvise=1&window=10=migration`.
 *
 * Pure string handling, no engine import (this module is in the Playground page's first load and in
 * every picture's "open in Playground" link); the layout, knob and window notations themselves are
 * checked by the engine's parsers when the attempt runs (./render.ts).
 */
import type { ScenarioProps } from '../pictures/scenario.ts';

export const KERNELS = ['before', 'after', 'v3-as-posted'] as const;
export const UFFD_MODES = ['wp', 'missing'] as const;
export type PlaygroundKernel = (typeof KERNELS)[number];

/** One collapse attempt as the Playground form holds it. */
export interface PlaygroundState {
  /** One layout per PMD, address order (at least one). */
  layouts: string[];
  kernel: PlaygroundKernel;
  madvise: boolean;
  /** `NAME=VALUE` knob settings, as given to `--knob`. */
  knobs: string[];
  uffd: '' | 'wp' | 'missing';
  /** `--window` notation, e.g. `10=migration,5=page` ('' for none). */
  window: string;
  allocFail: boolean;
  /** Pictures only: JSON actor steps ('' for none). */
  schedule: string;
  /** Pictures only: a slot of PMD 0 to mark ('' for none). */
  focus: string;
}

export const DEFAULT_STATE: Readonly<PlaygroundState> = Object.freeze({
  layouts: ['page*511,guard'],
  kernel: 'after',
  madvise: false,
  knobs: [],
  uffd: '',
  window: '',
  allocFail: false,
  schedule: '',
  focus: '',
});

const KNOWN = ['layout', 'kernel', 'madvise', 'knob', 'uffd', 'window', 'alloc-fail', 'schedule', 'focus'] as const;

/**
 * Split a query string into [name, value] pairs. Hand-rolled instead of URLSearchParams on purpose:
 * form decoding turns `+` into a space, and `+` is part of the notation (`page+uffd`), so a link
 * typed by hand must keep it. Percent-escapes are decoded; a malformed one is kept as typed.
 */
export function queryPairs(search: string): [string, string][] {
  const q = search.startsWith('?') ? search.slice(1) : search;
  const out: [string, string][] = [];
  for (const part of q.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decode(name), decode(value)]);
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Percent-encode a value but keep the notation's `*`, `,`, `=`, `@` and `:` readable in the address bar. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3D/gi, '=').replace(/%40/gi, '@').replace(/%3A/gi, ':');
}

function flag(v: string): boolean | null {
  if (v === '' || v === '1' || v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'off' || v === 'no') return false;
  return null;
}

/**
 * Read a query string. Never throws: what cannot be understood is listed in `problems`, one
 * sentence each naming the parameter (the state then keeps the default for it).
 */
export function fromQuery(search: string): { state: PlaygroundState; problems: string[]; given: boolean } {
  const state: PlaygroundState = { ...DEFAULT_STATE, layouts: [], knobs: [] };
  const problems: string[] = [];
  const single = new Map<string, string>();
  let given = false;
  const once = (name: string, value: string): boolean => {
    const prev = single.get(name);
    if (prev !== undefined && prev !== value) {
      problems.push(`${name} is given twice with different values ("${prev}" and "${value}"): keep one.`);
      return false;
    }
    single.set(name, value);
    return true;
  };
  for (const [name, value] of queryPairs(search)) {
    given = true;
    switch (name) {
      case 'layout':
        state.layouts.push(value.trim());
        break;
      case 'knob':
        state.knobs.push(value.trim());
        break;
      case 'kernel':
        if (!once(name, value)) break;
        if ((KERNELS as readonly string[]).includes(value)) state.kernel = value as PlaygroundKernel;
        else problems.push(`kernel must be one of ${KERNELS.join(', ')}; got "${value}".`);
        break;
      case 'uffd':
        if (!once(name, value)) break;
        if (value === '' || (UFFD_MODES as readonly string[]).includes(value)) state.uffd = value as PlaygroundState['uffd'];
        else problems.push(`uffd must be wp or missing (or left out); got "${value}".`);
        break;
      case 'madvise':
      case 'alloc-fail': {
        if (!once(name, value)) break;
        const b = flag(value);
        if (b === null) problems.push(`${name} must be 1 or 0; got "${value}".`);
        else if (name === 'madvise') state.madvise = b;
        else state.allocFail = b;
        break;
      }
      case 'window':
        // like the CLI: repeated --window items are joined
        if (value.trim()) state.window = state.window ? `${state.window},${value.trim()}` : value.trim();
        break;
      case 'schedule':
        if (once(name, value)) state.schedule = value;
        break;
      case 'focus':
        if (once(name, value)) state.focus = value.trim();
        break;
      default:
        problems.push(`unknown parameter "${name}"; known: ${KNOWN.join(', ')}.`);
    }
  }
  if (state.layouts.length === 0) {
    if (given) problems.push('layout is missing: give at least one, e.g. layout=page*511,guard.');
    state.layouts = [...DEFAULT_STATE.layouts];
  }
  return { state, problems, given };
}

/** The query string (with `?`) for a state; defaults are left out except the layout and kernel. */
export function toQuery(s: PlaygroundState): string {
  const parts: string[] = s.layouts.map((l) => `layout=${encode(l)}`);
  parts.push(`kernel=${s.kernel}`);
  if (s.madvise) parts.push('madvise=1');
  for (const k of s.knobs) if (k.trim()) parts.push(`knob=${encode(k.trim())}`);
  if (s.uffd) parts.push(`uffd=${s.uffd}`);
  if (s.window.trim()) parts.push(`window=${encode(s.window.trim())}`);
  if (s.allocFail) parts.push('alloc-fail=1');
  if (s.schedule.trim()) parts.push(`schedule=${encode(s.schedule.trim())}`);
  if (s.focus.trim()) parts.push(`focus=${encode(s.focus.trim())}`);
  return '?' + parts.join('&');
}

/** Quote for a POSIX shell: plain words as they are, anything else in single quotes. */
function sh(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `collapse` command that runs the same attempt in a terminal. `schedule` and `focus` have no
 * CLI flag: `note` says so when they are set.
 */
export function toCli(s: PlaygroundState): { command: string; note: string } {
  const args = ['npm', 'run', '--silent', 'collapse', '--'];
  for (const l of s.layouts) args.push('--layout', sh(l));
  args.push('--kernel', s.kernel);
  if (s.madvise) args.push('--madvise');
  for (const k of s.knobs) if (k.trim()) args.push('--knob', sh(k.trim()));
  if (s.uffd) args.push('--uffd', s.uffd);
  if (s.window.trim()) args.push('--window', sh(s.window.trim()));
  if (s.allocFail) args.push('--alloc-fail');
  const left = [s.schedule.trim() && 'schedule', s.focus.trim() && 'focus'].filter(Boolean);
  return {
    command: args.join(' '),
    note: left.length ? `The command line has no flag for ${left.join(' or ')} (pictures only); the rest is the same attempt.` : '',
  };
}

/** A picture's props as Playground state (for "open in Playground"). */
export function stateFromProps(p: ScenarioProps): PlaygroundState {
  const layouts = typeof p.layout === 'string' ? [p.layout] : [...(p.layout ?? [])];
  const yes = (v: boolean | string | undefined) => v === true || v === '' || v === 'true';
  return {
    layouts,
    kernel: (KERNELS as readonly string[]).includes(p.kernel ?? 'after') ? ((p.kernel ?? 'after') as PlaygroundKernel) : 'after',
    madvise: yes(p.madvise),
    knobs: (p.knobs ?? '').split(/[\s,]+/).filter(Boolean),
    uffd: p.uffd === 'wp' || p.uffd === 'missing' ? p.uffd : '',
    window: p.window ?? '',
    allocFail: yes(p.allocFail),
    schedule: p.schedule ?? '',
    focus: p.focus === undefined || p.focus === '' ? '' : String(p.focus),
  };
}

/** Playground state as picture props (what ./render.ts hands to the pictures' renderers). */
export function propsFromState(s: PlaygroundState): ScenarioProps {
  const p: ScenarioProps = { layout: s.layouts.length === 1 ? s.layouts[0] : [...s.layouts], kernel: s.kernel };
  if (s.madvise) p.madvise = true;
  if (s.knobs.length) p.knobs = s.knobs.join(' ');
  if (s.uffd) p.uffd = s.uffd;
  if (s.window.trim()) p.window = s.window.trim();
  if (s.allocFail) p.allocFail = true;
  if (s.schedule.trim()) p.schedule = s.schedule.trim();
  if (s.focus.trim()) p.focus = s.focus.trim();
  return p;
}

/** The Playground link for a picture's props. */
export function playgroundHref(p: ScenarioProps): string {
  return '/playground/' + toQuery(stateFromProps(p));
}
