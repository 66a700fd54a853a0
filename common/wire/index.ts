/**
 * The wire layer: the one boundary between the proto messages (`proto/gen`)
 * and the domain model (`common/model.ts`). For every message that crosses a
 * process there is one encode/decode pair, side by side; decoders check every
 * field and throw a ValidationError naming it, so callers work with domain
 * values only. See docs/CONTRIBUTING.md for how to add a field.
 */
export * from './enums.js';
export * from './log.js';
export * from './node.js';
export * from './session.js';
export * from './task.js';
