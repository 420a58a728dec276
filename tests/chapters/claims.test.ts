/**
 * Chapter claims: every <PteGrid …/> and <Timeline …/> in content/**\/*.mdx that carries an
 * `expect` prop is re-run through the engine with the same props (the same code path the
 * components use at build time), and the test fails naming the file, the line and the
 * disagreement. So the prose and the engine cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTags, type FoundTag } from '../../src/components/pictures/mdx-tags.ts';
import { claimMismatch, runScenario, type ScenarioProps } from '../../src/components/pictures/scenario.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PICTURES = ['PteGrid', 'Timeline'] as const;

function mdxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...mdxFiles(p));
    else if (name.endsWith('.mdx')) out.push(p);
  }
  return out.sort();
}

/** Check every claim in one MDX source; returns one message per problem. */
function checkClaims(src: string, file: string): { claims: number; problems: string[] } {
  const problems: string[] = [];
  let claims = 0;
  let tags: FoundTag[];
  try {
    tags = findTags(src, PICTURES, file);
  } catch (e) {
    return { claims, problems: [(e as Error).message] };
  }
  for (const tag of tags) {
    if (tag.props.expect === undefined) continue;
    claims++;
    try {
      const problem = claimMismatch(tag.name, runScenario(tag.props as unknown as ScenarioProps));
      if (problem) problems.push(`${file}:${tag.line}: ${problem}`);
    } catch (e) {
      problems.push(`${file}:${tag.line}: ${tag.source.split('\n')[0]} … could not be run: ${(e as Error).message}`);
    }
  }
  return { claims, problems };
}

describe('chapter claims agree with the engine', () => {
  const files = mdxFiles(join(root, 'content'));

  it('finds the chapters', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const path of files) {
    const file = relative(root, path);
    it(`${file}: every <PteGrid>/<Timeline> expect= matches the engine`, () => {
      const { problems } = checkClaims(readFileSync(path, 'utf8'), file);
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }
});

describe('the claims checker can fail (self-test on inline fixtures)', () => {
  const fixture = [
    '---',
    'title: fixture',
    '---',
    "import PteGrid from '../src/components/PteGrid.astro';",
    '',
    'A true claim:',
    '<PteGrid layout="page*511,guard" kernel="after" expect="SCAN_PTE_NON_PRESENT" />',
    '',
    'A deliberately wrong claim, spread over lines like the chapters write them:',
    '<PteGrid',
    '  layout="page*511,guard"',
    '  kernel="after"',
    '  focus={511}',
    '  expect="SCAN_SUCCEED"',
    '/>',
    '',
    '```mdx',
    '<PteGrid layout="page*512" expect="SCAN_PTE_NON_PRESENT" />',
    '```',
  ].join('\n');

  it('reports the wrong claim with file, line, claim and the engine answer — and only that one', () => {
    const { claims, problems } = checkClaims(fixture, 'fixture.mdx');
    expect(claims).toBe(2); // the fenced example is not a claim
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^fixture\.mdx:10: /);
    expect(problems[0]).toContain('claims SCAN_SUCCEED');
    expect(problems[0]).toContain("engine's result is SCAN_PTE_NON_PRESENT");
  });

  it('reports a scenario the engine cannot run (bad layout) instead of skipping it', () => {
    const { problems } = checkClaims('<Timeline layout="page*500" expect="SCAN_SUCCEED" />', 'bad.mdx');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^bad\.mdx:1: .*could not be run: .*500/);
  });

  it('reads window, schedule, knobs and madvise the way the components do', () => {
    const src = [
      `<Timeline layout="page*448,swap*64" kernel="after" window="10=migration" expect="SCAN_SUCCEED" />`,
      `<Timeline layout="page*448,swap*64" kernel="after" schedule='[{"at":"alloc","actor":"set_pte","slot":10,"kind":"migration"}]' expect="SCAN_SUCCEED" />`,
      `<PteGrid layout="page*448,swap*64" knobs="max_ptes_swap=8" expect="SCAN_SUCCEED" />`,
    ].join('\n');
    const { claims, problems } = checkClaims(src, 'k.mdx');
    expect(claims).toBe(3);
    // all three claims are wrong: the race is caught, and 64 swap PTEs exceed max_ptes_swap=8
    expect(problems.map((p) => p.split(':')[1])).toEqual(['1', '2', '3']);
    expect(problems[0]).toContain('SCAN_PTE_NON_PRESENT');
    expect(problems[1]).toContain('SCAN_PTE_NON_PRESENT');
    expect(problems[2]).toContain('SCAN_EXCEED_SWAP_PTE');
  });
});
