import { describe, expect, it } from 'vitest';
import { findTags } from '../../src/components/pictures/mdx-tags.ts';

describe('findTags (the MDX reader behind the chapter-claims test)', () => {
  it('reads strings, numbers, booleans, JSON arrays and bare attributes, with 1-based lines', () => {
    const src = [
      'intro',
      '<PteGrid layout="page*511,guard" kernel=\'before\' focus={511} madvise />',
      '<Timeline',
      '  layout="page*448,swap*64"',
      '  schedule=\'[{"at":"alloc","actor":"migration_start","slot":3}]\'',
      '  expect="SCAN_SUCCEED"',
      '/>',
      '<Quiz choices={["a", "b {x}"]} answer={1} ok={true} />',
    ].join('\n');
    const tags = findTags(src, ['PteGrid', 'Timeline', 'Quiz']);
    expect(tags.map((t) => [t.name, t.line])).toEqual([
      ['PteGrid', 2],
      ['Timeline', 3],
      ['Quiz', 8],
    ]);
    expect(tags[0].props).toEqual({ layout: 'page*511,guard', kernel: 'before', focus: 511, madvise: true });
    expect(tags[1].props.schedule).toBe('[{"at":"alloc","actor":"migration_start","slot":3}]');
    expect(tags[2].props).toEqual({ choices: ['a', 'b {x}'], answer: 1, ok: true });
  });

  it('skips tags inside fenced code and inline code, keeping line numbers right', () => {
    const src = ['```mdx', '<PteGrid layout="page*512" />', '```', 'Use `<PteGrid layout="x" />` like so:', '<PteGrid layout="page*512" />'].join('\n');
    const tags = findTags(src, ['PteGrid']);
    expect(tags).toHaveLength(1);
    expect(tags[0].line).toBe(5);
  });

  it('does not confuse PteGridX with PteGrid', () => {
    expect(findTags('<PteGridX layout="a" />', ['PteGrid'])).toEqual([]);
  });

  it('says where a broken tag is', () => {
    expect(() => findTags('a\n<PteGrid layout="page*512"', ['PteGrid'], 'c.mdx')).toThrow(/c\.mdx:2 <PteGrid>: tag is not closed/);
    expect(() => findTags('<PteGrid focus={x + 1} />', ['PteGrid'], 'c.mdx')).toThrow(/cannot read the expression/);
  });
});
