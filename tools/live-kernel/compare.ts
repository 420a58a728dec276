/**
 * `npm run --silent live-kernel -- --layout "page*511,guard" [--layout …] [--khugepaged]
 *     [--knob max_ptes_swap=64 …] [--uffd wp|missing] [--json]`
 *
 * The engine's prediction (`collapse --kernel before`) beside the live kernel's answer (the C
 * harness in this folder, built on first use) for the same layout. Needs Linux and root for the
 * kernel side; without them it still prints the engine's side and says why the kernel's is missing.
 * Exit status: 0 both ran (agreeing or not: a difference is printed, not an error), 2 bad
 * arguments, 3 the kernel side could not run here (the reason is printed), 1 something failed.
 */
import { buildHarness, compareRuns, runEngine, runHarness, sideBySide, type Scenario } from './live.ts';

const USAGE = `usage: npm run --silent live-kernel -- --layout "page*511,guard" [--layout ...] [--khugepaged]
       [--knob max_ptes_none|max_ptes_swap|max_ptes_shared=N ...] [--uffd wp|missing] [--json]

  Runs the same layout on the engine (collapse --kernel before) and on this machine's kernel
  (tools/live-kernel/collapse-live.c; root) and prints both answers side by side.`;

function parse(argv: readonly string[]): { scenario: Scenario; json: boolean } | string {
  const s: Scenario = { layouts: [] };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--layout') s.layouts.push(value());
      else if (a === '--khugepaged') s.khugepaged = true;
      else if (a === '--json') json = true;
      else if (a === '--uffd') {
        const v = value();
        if (v !== 'wp' && v !== 'missing') return `unknown uffd mode "${v}"; known modes: wp, missing`;
        s.uffd = v;
      } else if (a === '--knob') {
        const m = /^(max_ptes_none|max_ptes_swap|max_ptes_shared)=(\d+)$/.exec(value());
        if (!m) return `--knob wants max_ptes_none|max_ptes_swap|max_ptes_shared=N`;
        s.knobs = { ...s.knobs, [m[1]]: Number(m[2]) };
      } else if (a === '--help' || a === '-h') return 'help';
      else return `unknown argument "${a}"; try --help`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!s.layouts.length) return 'missing --layout (e.g. --layout "page*511,guard"); try --help';
  return { scenario: s, json };
}

async function main(argv: readonly string[]): Promise<number> {
  const p = parse(argv);
  if (p === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (typeof p === 'string') {
    process.stderr.write(`live-kernel: ${p}\n`);
    return 2;
  }
  const { scenario, json } = p;
  const engine = await runEngine(scenario);
  if (engine.status === 'unsupported') {
    process.stderr.write(`live-kernel: the engine's collapse CLI rejected this: ${engine.reason}\n`);
    return 2;
  }
  let built: ReturnType<typeof buildHarness>;
  try {
    built = buildHarness();
  } catch (e) {
    process.stderr.write(`live-kernel: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  const kernel = 'bin' in built ? runHarness(built.bin, scenario) : null;
  if (json) {
    process.stdout.write(JSON.stringify({
      engine: engine.status === 'ran' ? engine.report : engine,
      kernel: kernel ? (kernel.status === 'ran' ? kernel.report : kernel) : { status: 'skipped', reason: 'skip' in built ? built.skip : '' },
      facts: engine.status === 'ran' && kernel?.status === 'ran' ? compareRuns(scenario, kernel.report, engine.report) : null,
    }) + '\n');
  } else {
    const how = scenario.khugepaged ? `khugepaged${scenario.knobs ? ` (${Object.entries(scenario.knobs).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}` : 'MADV_COLLAPSE';
    const lines = [`layout: ${scenario.layouts.join('  |  ')}`, `caller: ${how}${scenario.uffd ? `, uffd ${scenario.uffd}` : ''}`, ''];
    if (engine.status !== 'ran') lines.push(`engine: failed — ${engine.reason}`);
    if (!kernel) lines.push(`live kernel: not run — ${'skip' in built ? built.skip : ''}`);
    else if (kernel.status !== 'ran') lines.push(`live kernel: ${kernel.status} — ${kernel.reason}`);
    if (engine.status === 'ran' && kernel?.status === 'ran') {
      lines.push(sideBySide(compareRuns(scenario, kernel.report, engine.report)));
      const k = kernel.report;
      lines.push('', `kernel ${k.kernel}; engine result ${engine.report.result}${engine.report.scan_result !== engine.report.result ? ` (scan: ${engine.report.scan_result})` : ''}`);
      if (!k.built_as_asked) lines.push('note: the harness could not build every PTE as asked (see --json: pmds[].before)');
    } else if (engine.status === 'ran') {
      lines.push(`engine: errno ${engine.report.errno ?? '—'}, collapsed ${engine.report.collapsed}, result ${engine.report.result}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (engine.status !== 'ran' || (kernel && kernel.status === 'failed')) return 1;
  if (!kernel || kernel.status !== 'ran') return 3;
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
