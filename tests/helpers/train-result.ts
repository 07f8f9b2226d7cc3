import type { TrainResult } from '../../schemas/training.js';

/** A training result with the given CV score and compute (CPU, one epoch, one attempt), for stubs and unit tests. */
export function trainResult(cvScore: number, computeSeconds: number, extra: Partial<TrainResult> = {}): TrainResult {
  return {
    cvScore,
    cvStd: 0,
    epochs: 1,
    submission: `sub-${cvScore}`,
    attempts: 1,
    resumedFromEpoch: 0,
    computeSeconds,
    wallSeconds: computeSeconds,
    cpuSeconds: computeSeconds,
    gpuSeconds: 0,
    peakRssMb: 10,
    device: 'cpu',
    ...extra,
  };
}
