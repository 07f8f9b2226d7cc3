/**
 * What "compute" means in learning and benchmarks. Wall-clock seconds move with the machine's load
 * (a lesson learned from them flipped on a loaded 2-core machine), so on CPU hosts compute is the
 * runner's CPU seconds (user + sys of the training process and its children); on GPU hosts it is the
 * slot seconds the step held its device. Every result says which unit it used.
 */
export type ComputeUnit = 'cpu-seconds' | 'slot-seconds';

export interface MeteredStep {
  computeSeconds: number;
  cpuSeconds?: number;
  gpuSeconds?: number;
}

/** A run is measured in slot seconds when any of its steps held a GPU slot, else in CPU seconds (when recorded). */
export function computeUnitOf(steps: MeteredStep[]): ComputeUnit {
  if (steps.some((s) => (s.gpuSeconds ?? 0) > 0)) return 'slot-seconds';
  // Records written before CPU seconds were kept have only wall (slot) seconds.
  return steps.length > 0 && steps.every((s) => s.cpuSeconds !== undefined) ? 'cpu-seconds' : 'slot-seconds';
}

/** One step's compute in the run's unit. */
export function stepCompute(step: MeteredStep, unit: ComputeUnit): number {
  return unit === 'cpu-seconds' ? (step.cpuSeconds ?? step.computeSeconds) : step.computeSeconds;
}
