import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root directory. */
export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where tests write what a person may want to look at (screenshots). */
export const artifacts = join(repo, 'build', 'artifacts');
/** Scratch space for generated inputs (tone WAVs, browser profiles). */
export const scratch = join(repo, 'build', 'web-tests');
