import { unreachableServices } from './services';

/**
 * Jest globalSetup: before any suite runs, checks that PostgreSQL, Redis and Mosquitto answer, so
 * that a missing service fails the run in one line that says how to start it, instead of as a
 * time-out deep inside some suite.
 */
export default async function checkTestServices(): Promise<void> {
  const problems = await unreachableServices();
  if (problems.length === 0) return;
  const error = new Error(problems.join('\n'));
  // Jest prints the stack of a failing globalSetup: keep it to the message.
  error.stack = error.message;
  throw error;
}
