// Everything the orchestrator worker registers as workflow types.
export { distillSkills } from './distill.js';
export { competitionEpisode } from './episode.js';
export { sweep } from './sweep.js';
