import type { EpisodeStatus, EpisodeSummary, StepRecord } from '../schemas/episode.js';

export function describeStep(s: StepRecord): string {
  const params = Object.keys(s.candidate.params).length ? ` ${JSON.stringify(s.candidate.params)}` : '';
  const outcome = s.status === 'ok' ? `cv ${s.cvScore?.toFixed(5)}${s.improved ? ' ★' : ''}` : `${s.status}${s.error ? `: ${s.error}` : ''}`;
  const resumed = s.attempts > 1 ? ` (attempt ${s.attempts}, resumed at epoch ${s.resumedFromEpoch})` : '';
  return `  step ${s.step}: ${s.candidate.template}${params} → ${outcome} in ${s.computeSeconds.toFixed(1)} s${resumed}`;
}

/** Prints each step once as it finishes, plus what is training now. */
export function createProgressPrinter(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  let printedSteps = 0;
  let lastLine = '';
  return (status: EpisodeStatus) => {
    if (status.lastStep && status.steps > printedSteps) {
      printedSteps = status.steps;
      write(describeStep(status.lastStep));
    }
    const line = status.currentStep
      ? `  … training step ${status.currentStep.step}: ${status.currentStep.candidate.template} (${status.computeSeconds.toFixed(0)}/${status.budgetComputeSeconds} s used)`
      : `  … ${status.phase}${status.paused ? ' (paused)' : ''}`;
    if (line !== lastLine) {
      lastLine = line;
      write(line);
    }
  };
}

export interface RunOutput {
  workflowId: string;
  runId: string;
  competitionId: string;
  status: string;
  metric: string | null;
  bestScore: number | null;
  finalScore: number | null;
  baselineScore: number | null;
  steps: number;
  computeSeconds: number;
  stopReason: string | null;
}

export function summaryOutput(runId: string, summary: EpisodeSummary): RunOutput {
  return {
    workflowId: summary.workflowId,
    runId,
    competitionId: summary.competitionId,
    status: 'COMPLETED',
    metric: summary.metric,
    bestScore: summary.finalScore ?? summary.bestCvScore,
    finalScore: summary.finalScore,
    baselineScore: summary.baselineScore,
    steps: summary.steps,
    computeSeconds: summary.computeSeconds,
    stopReason: summary.stopReason,
  };
}

export function printSummary(summary: EpisodeSummary, write: (line: string) => void = console.log): void {
  write(`${summary.competitionId}: ${summary.stopReason} after ${summary.steps} steps, ${summary.computeSeconds.toFixed(1)} s of compute`);
  write(`  best candidate: ${summary.bestCandidate ? `${summary.bestCandidate.template} ${JSON.stringify(summary.bestCandidate.params)}` : 'none'}`);
  write(
    `  ${summary.metric}: cv ${summary.bestCvScore?.toFixed(5) ?? '-'}, graded ${summary.finalScore?.toFixed(5) ?? '-'} (naive baseline ${summary.baselineScore?.toFixed(5) ?? '-'}, target ${summary.targetScore ?? '-'})`,
  );
}
