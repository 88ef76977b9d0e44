// Runs jobs at most `limit` at a time: start-up touches every segment of every partition, and
// doing all of that at once would run out of file descriptors.
export async function runLimited(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
