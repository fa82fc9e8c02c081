/**
 * Ollama's answers that mean "try the next node" (issue 5 §3). Its error shapes are in the kind's
 * descriptor (agent/kernel/kinds.ts).
 */

/** A model-not-found answer from one node means "try the next one". */
export function isModelNotFound(status: number, body: string): boolean {
  return status === 404 && /model ['"\\]*[^'"]*['"\\]* not found/.test(body);
}
