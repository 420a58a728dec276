/**
 * collapse-lab/engine — the public API of the simulated kernel (see README.md in this folder).
 * Minimal version re-exporting the values layer; the kernel modules are added by their owner.
 * @module
 */
export * from './pte.ts';
export * from './swapops.ts';
export * from './softleaf.ts';
export * from './scan_result.ts';
export * from './layout.ts';
