/**
 * collapse-lab/engine — the public API of the simulated kernel (see README.md in this folder).
 * @module
 */
export * from './pte.ts';
export * from './swapops.ts';
export * from './softleaf.ts';
export * from './scan_result.ts';
export * from './layout.ts';
export * from './types.ts';
export * from './mm.ts';
export * from './locks.ts';
export * from './trace.ts';
export * from './memory.ts';
export * from './khugepaged.ts';
export * from './actors.ts';
export * from './run.ts';
export * from './explore.ts';
