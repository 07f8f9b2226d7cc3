// Everything the orchestrator worker registers as workflow types.
export { competitionEpisode } from './episode.js';
export { sweep } from './sweep.js';
