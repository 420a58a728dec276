import { describe, expect, it } from 'vitest';
import { makeWork, parseWork, WorkFormatError } from '../../src/grading/work.ts';

const valid = {
  format: 'collapse-lab-work',
  version: 1,
  course: '0.1.0',
  exportedAt: '2026-11-25T18:00:00.000Z',
  exercises: {
    'early-abort': { code: 'export function f() {}', savedAt: '2026-11-25T17:00:00Z', passed: false, starterHash: 'abc123' },
    'pte-anatomy': { code: '', savedAt: '2026-11-25T17:30:00+01:00' },
  },
};

describe('parseWork', () => {
  it('accepts the documented format, from a string or a value', () => {
    expect(parseWork(JSON.stringify(valid))).toEqual(valid);
    expect(parseWork(valid).exercises['pte-anatomy']).toEqual({ code: '', savedAt: '2026-11-25T17:30:00+01:00' });
  });
  it('round-trips makeWork', () => {
    const w = makeWork('0.1.0', valid.exercises, valid.exportedAt);
    expect(parseWork(JSON.stringify(w))).toEqual(valid);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{nope', /not valid JSON/],
    ['an array', [], /JSON object/],
    ['another format', { ...valid, format: 'vscode-export' }, /"format" must be "collapse-lab-work"/],
    ['a newer version', { ...valid, version: 2 }, /"version" must be 1/],
    ['no course', { ...valid, course: undefined }, /"course"/],
    ['a bad date', { ...valid, exportedAt: 'yesterday' }, /"exportedAt" must be an ISO 8601/],
    ['an extra field', { ...valid, student: 'x' }, /unexpected field\(s\) "student"/],
    ['exercises as an array', { ...valid, exercises: [] }, /"exercises" must be an object/],
    ['code not a string', { ...valid, exercises: { a: { code: 1, savedAt: valid.exportedAt } } }, /exercises\["a"\]\.code must be a string/],
    ['a bad id', { ...valid, exercises: { 'Early Abort': { code: '', savedAt: valid.exportedAt } } }, /not an exercise id/],
    ['passed not boolean', { ...valid, exercises: { a: { code: '', savedAt: valid.exportedAt, passed: 'yes' } } }, /passed must be true or false/],
    ['an unknown entry field', { ...valid, exercises: { a: { code: '', savedAt: valid.exportedAt, score: 3 } } }, /unexpected field\(s\) "score"/],
  ];
  for (const [what, input, msg] of bad) {
    it(`rejects ${what} with a clear message`, () => {
      expect(() => parseWork(input)).toThrow(WorkFormatError);
      expect(() => parseWork(input)).toThrow(msg);
    });
  }
});
