export { formatText } from './text.ts';
export { formatJson, jsonShape } from './json.ts';
export { formatGradescope, gradescopeResults, gradescopeFailure, type Visibility } from './gradescope.ts';
export { formatJunit, xmlEscape } from './junit.ts';
export type { Graded } from './common.ts';
export { notSubmittedGraded, score, setupFailure } from './common.ts';

export const FORMATS = ['text', 'json', 'gradescope', 'junit'] as const;
export type Format = (typeof FORMATS)[number];
export { escapeControl, escapeLine } from './escape.ts';
