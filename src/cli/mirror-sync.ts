// `outpost mirror create --sync`: waits until the new mirror has caught up with its source (lag 0
// on every partition), with a progress bar of records copied on a terminal.
import cliProgress from 'cli-progress';
import type { AdminClient } from './admin-client.js';

const POLL_MS = 250;

interface MirrorLag {
  partition: number;
  lag: number;
  source_high_watermark: number;
  last_fetch_time_ms: number;
}

/** Resolves with the mirror resource once it has caught up; rejects if it fails or is paused. */
export async function waitCaughtUp(client: AdminClient, link: string, topic: string): Promise<any> {
  const path = `/links/${encodeURIComponent(link)}/mirrors/${encodeURIComponent(topic)}`;
  // cli-progress draws only on a terminal (its stream is stderr), so a pipe sees just the result.
  const bar = new cliProgress.SingleBar(
    { format: `${topic} |{bar}| {percentage}% | {value}/{total} records | lag {lag}`, hideCursor: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  try {
    for (;;) {
      const m = await client.cluster('GET', path);
      if (m.mirror_status === 'FAILED') throw new Error(`mirror topic "${topic}" failed: ${m.mirror_status_reason ?? m.mirror_topic_error}`);
      if (m.mirror_status === 'PAUSED') throw new Error(`mirror topic "${topic}" is paused: resume it to let it catch up`);
      const lags: MirrorLag[] = m.mirror_lags;
      // Progress means something once the link has learnt every source high watermark (-1 before).
      if (lags.length > 0 && lags.every((p) => p.source_high_watermark >= 0)) {
        const total = lags.reduce((n, p) => n + p.source_high_watermark, 0);
        const lag = lags.reduce((n, p) => n + p.lag, 0);
        if (!started) bar.start(total, total - lag, { lag });
        started = true;
        bar.setTotal(total);
        bar.update(total - lag, { lag });
        if (lags.every((p) => p.lag === 0 && p.last_fetch_time_ms > 0)) return m;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (started) bar.stop();
  }
}
