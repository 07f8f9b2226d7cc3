import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Candidate } from '../schemas/training.js';

/**
 * Solution code (the `custom` template's solution.py, written by the LLM engineer or debugger) lives in
 * the artifact store, named by its sha256; candidates carry `{code_sha256}` and workflow history never
 * holds the code. The training activity puts the code back just before the runner gets its job.
 */
export const CODE_REF = 'code_sha256';
const SHA256 = /^[0-9a-f]{64}$/;

export function codeSha256(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** The file for a digest: derived here from a checked digest, never a path taken from a request. */
function codeFile(artifactsDir: string, sha: string): string {
  if (!SHA256.test(sha)) throw new Error(`${CODE_REF} must be 64 lowercase hex digits, got ${JSON.stringify(sha).slice(0, 80)}`);
  return path.join(artifactsDir, 'code', `${sha}.py`);
}

/** Writes solution code once (content-addressed: the same code is the same file) and returns its digest. */
export function storeSolutionCode(artifactsDir: string, code: string): string {
  const sha = codeSha256(code);
  const file = codeFile(artifactsDir, sha);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return sha;
}

/** The code a digest names, checked against it; throws when it is missing or altered. */
export function readSolutionCode(artifactsDir: string, sha: string): string {
  const file = codeFile(artifactsDir, sha);
  if (!existsSync(file)) throw new Error(`solution code ${sha} is not in the artifact store (${path.dirname(file)})`);
  const code = readFileSync(file, 'utf8');
  if (codeSha256(code) !== sha) throw new Error(`solution code ${sha} in the artifact store does not match its digest`);
  return code;
}

/** A `custom` candidate with inline code → the same candidate by reference (the code stored); others unchanged. */
export function codeByReference(artifactsDir: string, candidate: Candidate): Candidate {
  const code = candidate.params.code;
  if (candidate.template !== 'custom' || typeof code !== 'string') return candidate;
  const { code: _inline, ...rest } = candidate.params;
  return { template: 'custom', params: { ...rest, [CODE_REF]: storeSolutionCode(artifactsDir, code) } };
}

/** A `custom` candidate by reference → with its code inline, for the runner's job file; others unchanged. */
export function codeInline(artifactsDir: string, candidate: Candidate): Candidate {
  const sha = candidate.params[CODE_REF];
  if (candidate.template !== 'custom' || sha === undefined) return candidate;
  const { [CODE_REF]: _ref, ...rest } = candidate.params;
  return { template: 'custom', params: { ...rest, code: readSolutionCode(artifactsDir, String(sha)) } };
}
