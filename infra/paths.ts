import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: everything HASTE ships (runner, competitions) is found from here. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
